"""Bad input to an edit (issue 12's list): each refused with a clear message, nothing charged,
no job row, no file left in storage. On SQLite and PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from PIL import Image as PILImage
from sqlalchemy.engine import Engine
from sqlmodel import Session

from pixel_studio.models import GenerationJob, ImageSet
from pixel_studio.services.errors import InsufficientCredits, InvalidInput, NotFound
from pixel_studio.services.studio import editing, images
from pixel_studio.services.studio.uploads import open_upright
from pixel_studio.settings import Settings
from pixel_studio.storage.local import LocalStorage
from tests.services.editing_helpers import (
    Recorder,
    animated_webp,
    cmyk_jpeg,
    exif_rotated_jpeg,
    make_source,
    mask_png,
    not_an_image,
    oversize,
    png,
    png_16bit,
    stored_files,
    too_many_pixels,
    truncated_png,
)
from tests.services.generation_helpers import Events, balance, count, make_user


def _refused(
    session: Session,
    settings: Settings,
    storage: LocalStorage,
    uid: int,
    data: dict[str, Any],
    *,
    error: type[Exception] = InvalidInput,
    **files: Any,
) -> Exception:
    """Submit and expect a refusal that changed nothing: balance, job rows, set rows, files."""
    before = (balance(session, uid), count(session, GenerationJob), count(session, ImageSet))
    files_before = stored_files(settings)
    enqueued = Recorder()
    with pytest.raises(error) as caught:
        editing.create_edit_job(
            session,
            uid,
            data,
            settings,
            storage=storage,
            enqueue=enqueued,
            publish=Events(),
            **files,
        )
    after = (balance(session, uid), count(session, GenerationJob), count(session, ImageSet))
    assert after == before and enqueued == []
    assert stored_files(settings) == files_before
    return caught.value


def _message(exc: Exception, field: str) -> str:
    assert isinstance(exc, InvalidInput)
    errors = getattr(exc, "errors", {exc.field: exc.message})
    assert field in errors, errors
    return str(errors[field])


I2I = {"operation": "image-to-image", "model": "local-sketch", "prompt": "a watercolour"}

BAD_UPLOADS: list[tuple[str, Callable[[], bytes], str]] = [
    ("cmyk", cmyk_jpeg, "CMYK images are not supported"),
    ("16-bit", png_16bit, "16-bit images are not supported"),
    ("animated", animated_webp, "Animated images are not supported"),
    ("truncated", truncated_png, "truncated or damaged"),
    ("not an image", not_an_image, "not a PNG, JPEG or WebP image"),
    ("oversize", oversize, "the limit is 20.0 MB"),
    ("too many pixels", too_many_pixels, "the limit is 16 million pixels"),
    ("empty", lambda: b"", "The file is empty"),
]


@pytest.mark.parametrize(
    ("_name", "make", "expected"), BAD_UPLOADS, ids=[b[0] for b in BAD_UPLOADS]
)
def test_bad_uploads_are_refused_and_change_nothing(
    session: Session,
    settings: Settings,
    storage: LocalStorage,
    _name: str,
    make: Callable[[], bytes],
    expected: str,
) -> None:
    uid = make_user(session, "ulla", 10)
    exc = _refused(session, settings, storage, uid, I2I, upload=make())
    assert expected in _message(exc, "image")


def test_upload_checks_the_header_before_decoding(monkeypatch: pytest.MonkeyPatch) -> None:
    """A 20 MP claim is refused without a pixel decoded: load() is never reached."""
    loads: list[str] = []
    real_load = PILImage.Image.load

    def spy(self: PILImage.Image) -> Any:
        loads.append(self.mode)
        return real_load(self)

    data = too_many_pixels()
    monkeypatch.setattr(PILImage.Image, "load", spy)
    monkeypatch.setattr("PIL.ImageFile.ImageFile.load", spy)
    with pytest.raises(InvalidInput, match="million pixels"):
        editing.check_upload(data)
    assert loads == []


def test_good_upload_honours_exif_orientation() -> None:
    data = exif_rotated_jpeg()
    checked = editing.check_upload(data)
    assert (checked.width, checked.height, checked.format) == (20, 40, "jpeg")
    assert (checked.content_type, checked.extension, checked.data) == ("image/jpeg", "jpg", data)
    img = open_upright(checked.data)  # how the worker reads the stored upload
    assert img.size == (20, 40) and img.mode == "RGB"
    assert img.getpixel((10, 20))[1] > 150  # green survived the round trip


def test_upload_accepts_png_with_alpha() -> None:
    checked = editing.check_upload(png(30, 10, (1, 2, 3, 128), mode="RGBA"))
    assert open_upright(checked.data).mode == "RGBA" and (checked.width, checked.height) == (30, 10)


@pytest.mark.parametrize(
    ("mask", "expected"),
    [
        (lambda: mask_png(100, 100, (0, 0, 10, 10)), "the image is 256×256"),
        (lambda: mask_png(256, 256, None), "the mask is empty"),
        (lambda: mask_png(256, 256, (0, 0, 256, 256)), "covers the whole image"),
        (lambda: not_an_image(), "not a PNG image"),
        (lambda: "data:text/plain;base64,aGVsbG8=", "did not arrive as a PNG"),
    ],
    ids=["wrong size", "empty", "everything", "not a png", "bad data url"],
)
def test_bad_masks_are_refused_and_change_nothing(
    db: Engine,
    session: Session,
    settings: Settings,
    storage: LocalStorage,
    mask: Callable[[], Any],
    expected: str,
) -> None:
    uid = make_user(session, "mona", 10)
    source = make_source(db, session, settings, storage, uid)
    data = {
        "operation": "inpaint",
        "model": "local-sketch",
        "prompt": "a hat",
        "source_image_id": source.id,
    }
    exc = _refused(session, settings, storage, uid, data, mask=mask())
    assert expected in _message(exc, "mask")


def test_inpaint_without_a_mask_is_refused(
    db: Engine, session: Session, settings: Settings, storage: LocalStorage
) -> None:
    uid = make_user(session, "nina", 10)
    source = make_source(db, session, settings, storage, uid)
    data = {"operation": "inpaint", "model": "local-sketch", "prompt": "a hat"}
    exc = _refused(session, settings, storage, uid, {**data, "source_image_id": source.id})
    assert "mask is empty" in _message(exc, "mask")


def test_an_operation_the_model_cannot_do_is_refused(
    db: Engine, session: Session, settings: Settings, storage: LocalStorage
) -> None:
    uid = make_user(session, "olga", 10)
    source = make_source(db, session, settings, storage, uid)
    data = {"operation": "upscale", "model": "dall-e-3", "source_image_id": source.id}
    exc = _refused(session, settings, storage, uid, data)
    assert isinstance(exc, editing.UnsupportedOperation)
    assert "DALL·E 3 cannot upscale." in _message(exc, "operation")


def test_a_source_the_viewer_cannot_see_is_not_found_and_free(
    db: Engine, session: Session, settings: Settings, storage: LocalStorage
) -> None:
    owner = make_user(session, "pia", 10)
    other = make_user(session, "quin", 10)
    hidden = make_source(db, session, settings, storage, owner, private=True)
    data = {"operation": "variation", "model": "local-sketch", "source_image_id": hidden.id}
    exc = _refused(session, settings, storage, other, data, error=NotFound)
    assert "does not exist or is private" in str(exc)
    gone = {**data, "source_image_id": hidden.id + 1000}
    _refused(session, settings, storage, other, gone, error=NotFound)
    # the owner may start from it
    job = editing.create_edit_job(
        session, owner, data, settings, storage=storage, enqueue=Recorder(), publish=Events()
    )
    assert job.params["parent_image_id"] == hidden.id


@pytest.mark.parametrize(
    ("data", "field", "expected"),
    [
        ({"operation": "sharpen"}, "operation", "Choose an operation"),
        ({"model": "nope"}, "model", "Choose a model from the list"),
        ({"prompt": "  "}, "prompt", "Write a prompt"),
        ({"strength": 1.5}, "strength", "between 0 and 1"),
        ({"strength": "lots"}, "strength", "Enter a number"),
        ({"count": 11}, "count", "between 1 and 10"),
        ({"prompt": "a\x00b"}, "prompt", "NUL"),
        ({"factor": 4}, "factor", "does not take a factor"),
        ({"colour": "red"}, "colour", "not part of an edit request"),
    ],
)
def test_form_errors_are_refused_by_field(
    db: Engine,
    session: Session,
    settings: Settings,
    storage: LocalStorage,
    data: dict[str, Any],
    field: str,
    expected: str,
) -> None:
    uid = make_user(session, "rita", 10)
    source = make_source(db, session, settings, storage, uid)
    request = {**I2I, "source_image_id": source.id, **data}
    exc = _refused(session, settings, storage, uid, request)
    assert expected in _message(exc, field)


def test_both_or_neither_start_is_refused(
    db: Engine, session: Session, settings: Settings, storage: LocalStorage
) -> None:
    uid = make_user(session, "sara", 10)
    source = make_source(db, session, settings, storage, uid)
    both = _refused(session, settings, storage, uid, {**I2I, "source_image_id": source.id},
                    upload=png())  # fmt: skip
    assert "not both" in _message(both, "image")
    neither = _refused(session, settings, storage, uid, I2I)
    assert "Choose an image to start from" in _message(neither, "image")


def test_too_large_a_result_is_refused(
    session: Session, settings: Settings, storage: LocalStorage
) -> None:
    uid = make_user(session, "tess", 10)
    data = {"operation": "upscale", "model": "local-sketch", "factor": 4}
    exc = _refused(session, settings, storage, uid, data, upload=png(2100, 100))
    assert "8400×400" in _message(exc, "factor")


def test_a_result_past_the_models_pixel_budget_is_refused(
    session: Session, settings: Settings, storage: LocalStorage
) -> None:
    uid = make_user(session, "tina", 10)
    data = {"operation": "upscale", "model": "local-sketch", "factor": 4}
    exc = _refused(session, settings, storage, uid, data, upload=png(1100, 1000))
    message = _message(exc, "factor")
    assert "4400×4000" in message and "smaller factor" in message


def test_not_enough_credits_changes_nothing(
    db: Engine, session: Session, settings: Settings, storage: LocalStorage
) -> None:
    uid = make_user(session, "ulf", 1)
    source = make_source(db, session, settings, storage, uid)  # spends the one credit
    data = {**I2I, "source_image_id": source.id, "count": 2}
    exc = _refused(session, settings, storage, uid, data, error=InsufficientCredits)
    assert "you have 0" in str(exc)
    # an upload refused for credits leaves no file either (it is stored only after paying)
    _refused(session, settings, storage, uid, I2I, upload=png(), error=InsufficientCredits)


def test_a_storage_failure_after_paying_rolls_everything_back(
    session: Session, settings: Settings, storage: LocalStorage, monkeypatch: pytest.MonkeyPatch
) -> None:
    uid = make_user(session, "vera", 10)
    data = {"operation": "inpaint", "model": "local-sketch", "prompt": "a hat"}
    real_put = storage.put
    calls: list[str] = []

    def flaky_put(key: str, payload: bytes, content_type: str) -> None:
        calls.append(key)
        if key.endswith("-mask.png"):
            raise OSError("disk full")
        real_put(key, payload, content_type)

    monkeypatch.setattr(storage, "put", flaky_put)
    _refused(session, settings, storage, uid, data, upload=png(64, 64),
             mask=mask_png(64, 64, (0, 0, 8, 8)), error=OSError)  # fmt: skip
    assert [k.rsplit("-", 1)[1] for k in calls] == ["source.png", "mask.png"]


def test_queue_refusal_refunds_and_removes_the_files(
    session: Session, settings: Settings, storage: LocalStorage
) -> None:
    uid = make_user(session, "wren", 10)

    def refuse(_job_id: str) -> None:
        raise ConnectionError("broker down")

    with pytest.raises(InvalidInput, match="refunded"):
        editing.create_edit_job(session, uid, I2I, settings, upload=png(), storage=storage,
                                enqueue=refuse, publish=Events())  # fmt: skip
    assert balance(session, uid) == 10 and stored_files(settings) == set()
    (job,) = session.exec(__import__("sqlmodel").select(GenerationJob)).all()
    assert (job.status, job.credits_refunded) == ("failed", job.credits_charged)


def test_images_module_still_hides_private_sources(
    db: Engine, session: Session, settings: Settings, storage: LocalStorage
) -> None:
    """The 404 above is the images service's own rule, not a copy of it."""
    owner = make_user(session, "xena", 10)
    image = make_source(db, session, settings, storage, owner, private=True)
    with pytest.raises(NotFound):
        images.get_visible_image(session, owner + 1, image.id or 0)
