"""Edit jobs that do not go to plan: a source made private or deleted while queued or between
images, a provider failure or a provider without edits, cancel before and during the run, and
the storage sweep beside a live set's upload. Each refunds what was not made. SQLite and
PostgreSQL, LocalStorage, FakeEditor at the provider boundary (tests/services/editing_helpers.py).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy.engine import Engine
from sqlmodel import Session

from pixel_studio.models import Image, ImageSet
from pixel_studio.providers import ModerationRefused
from pixel_studio.providers.local_sketch import LocalSketchProvider
from pixel_studio.services.operations.storage_sweep import sweep_orphans
from pixel_studio.services.studio import editing, generation, images
from pixel_studio.services.studio.edit_jobs import SOURCE_DELETED, SOURCE_HIDDEN
from pixel_studio.settings import Settings
from pixel_studio.storage.local import LocalStorage
from tests.services.editing_helpers import (
    FakeEditor,
    make_source,
    mask_png,
    png,
    price,
    run_edit,
    submit_edit,
)
from tests.services.generation_helpers import (
    Events,
    balance,
    fresh_job,
    images_of,
    ledger,
    make_user,
)


def test_source_made_private_while_queued_fails_and_refunds(
    db: Engine, session: Session, settings: Settings, storage: LocalStorage
) -> None:
    owner = make_user(session, "eve", 10)
    fan = make_user(session, "fay", 10)
    source = make_source(db, session, settings, storage, owner)
    data = {"operation": "variation", "model": "local-sketch", "source_image_id": source.id,
            "count": 2}  # fmt: skip
    job_id, _ = submit_edit(session, settings, storage, fan, data)
    own_job, _ = submit_edit(session, settings, storage, owner, data)
    images.set_image_privacy(session, storage, owner, source.id or 0, True)

    provider = FakeEditor()
    events = run_edit(db, settings, storage, job_id, provider)
    failed = fresh_job(session, job_id)
    assert (failed.status, failed.error) == ("failed", SOURCE_HIDDEN)
    assert failed.credits_refunded == price("variation", 2) and balance(session, fan) == 10
    assert events.trail()[-1] == ("failed", 0) and provider.requests == []
    assert ledger(session, fan)[-1] == ("refund", price("variation", 2))
    # the owner still sees their own (now private) source: their job reads its moved file
    run_edit(db, settings, storage, own_job, provider)
    assert fresh_job(session, own_job).status == "succeeded" and len(provider.requests) == 2
    assert generation.ledger_mismatches(session) == []


def test_source_deleted_while_queued_fails_and_refunds(
    db: Engine, session: Session, settings: Settings, storage: LocalStorage
) -> None:
    uid = make_user(session, "gil", 10)
    source = make_source(db, session, settings, storage, uid)
    job_id, _ = submit_edit(session, settings, storage, uid,
                        {"operation": "upscale", "model": "local-sketch",
                         "source_image_id": source.id})  # fmt: skip
    images.delete_image(session, storage, uid, source.id or 0)
    run_edit(db, settings, storage, job_id, FakeEditor())
    failed = fresh_job(session, job_id)
    assert (failed.status, failed.error) == ("failed", SOURCE_DELETED)
    assert balance(session, uid) == 9  # only the text image that made the source was paid


def test_provider_failure_refunds_the_images_not_made(
    db: Engine, session: Session, settings: Settings, storage: LocalStorage
) -> None:
    uid = make_user(session, "hal", 20)
    source = make_source(db, session, settings, storage, uid)
    job_id, _ = submit_edit(session, settings, storage, uid,
                        {"operation": "variation", "model": "local-sketch", "count": 3,
                         "source_image_id": source.id})  # fmt: skip

    def refuse_second(index: int, _attempt: int) -> None:
        if index == 1:
            raise ModerationRefused()

    run_edit(db, settings, storage, job_id, FakeEditor(refuse_second))
    job = fresh_job(session, job_id)
    assert (job.status, job.done, job.credits_refunded) == ("failed", 1, price("variation", 2))
    assert len(images_of(session, job_id)) == 1 and generation.ledger_mismatches(session) == []


def test_a_provider_without_edit_fails_cleanly(
    db: Engine, session: Session, settings: Settings, storage: LocalStorage
) -> None:
    uid = make_user(session, "ida", 10)
    source = make_source(db, session, settings, storage, uid)
    job_id, _ = submit_edit(session, settings, storage, uid,
                        {"operation": "variation", "model": "local-sketch",
                         "source_image_id": source.id})  # fmt: skip

    class TextOnly:
        def generate(self, request: Any, on_step: Any = None) -> Any:
            return LocalSketchProvider().generate(request, on_step)

    run_edit(db, settings, storage, job_id, TextOnly())
    job = fresh_job(session, job_id)
    assert (job.status, job.error) == ("failed", "This model cannot edit images.")
    assert balance(session, uid) == 9


def test_cancel_while_queued_refunds_and_the_job_never_runs(
    db: Engine, session: Session, settings: Settings, storage: LocalStorage
) -> None:
    uid = make_user(session, "joy", 10)
    job_id, _ = submit_edit(session, settings, storage, uid,
                        {"operation": "image-to-image", "model": "local-sketch",
                         "prompt": "x", "count": 2}, upload=png())  # fmt: skip
    editing.cancel(session, uid, job_id, publish=Events())
    provider = FakeEditor()
    assert run_edit(db, settings, storage, job_id, provider) == [] and provider.requests == []
    assert fresh_job(session, job_id).status == "cancelled" and balance(session, uid) == 10


def test_the_storage_sweep_keeps_a_live_sets_upload_and_mask(
    db: Engine, session: Session, settings: Settings, storage: LocalStorage
) -> None:
    uid = make_user(session, "kit", 10)
    job_id, _ = submit_edit(session, settings, storage, uid,
                        {"operation": "inpaint", "model": "local-sketch", "prompt": "x"},
                        upload=png(64, 64), mask=mask_png(64, 64, (0, 0, 9, 9)))  # fmt: skip
    run_edit(db, settings, storage, job_id, FakeEditor())
    later = __import__("datetime").datetime.now(__import__("datetime").UTC) + timedelta(days=2)
    report = sweep_orphans(session, storage, now=later)
    assert report.orphans == [] and report.scanned == 4  # upload, mask, original, thumbnail
    (image,) = images_of(session, job_id)
    session.delete(session.get(ImageSet, image.set_id))
    session.commit()
    # the set's image went with it (cascade): its files, the upload and the mask are orphans
    assert session.get(Image, image.id, populate_existing=True) is None
    assert len(sweep_orphans(session, storage, now=later).orphans) == 4


def test_cancel_mid_run_stops_and_refunds_the_rest_once(
    db: Engine, session: Session, settings: Settings, storage: LocalStorage
) -> None:
    uid = make_user(session, "max", 20)
    source = make_source(db, session, settings, storage, uid)
    data = {"operation": "variation", "model": "local-sketch", "count": 3,
            "source_image_id": source.id}  # fmt: skip
    job_id, _ = submit_edit(session, settings, storage, uid, data)

    def cancel_on_second(index: int, _attempt: int) -> None:
        if index == 1:
            with Session(db) as other:
                editing.cancel(other, uid, job_id, publish=Events())

    run_edit(db, settings, storage, job_id, FakeEditor(cancel_on_second))
    job = fresh_job(session, job_id)
    assert (job.status, job.done, job.credits_refunded) == ("cancelled", 1, price("variation", 2))
    assert len(images_of(session, job_id)) == 1 and generation.ledger_mismatches(session) == []


def test_source_made_private_between_images_stops_the_job(
    db: Engine, session: Session, settings: Settings, storage: LocalStorage
) -> None:
    owner = make_user(session, "ned", 10)
    fan = make_user(session, "ora", 10)
    source = make_source(db, session, settings, storage, owner)
    data = {"operation": "variation", "model": "local-sketch", "count": 3,
            "source_image_id": source.id}  # fmt: skip
    job_id, _ = submit_edit(session, settings, storage, fan, data)

    def hide_after_first(index: int, _attempt: int) -> None:
        if index == 0:
            with Session(db) as other:
                images.set_image_privacy(other, storage, owner, source.id or 0, True)

    run_edit(db, settings, storage, job_id, FakeEditor(hide_after_first))
    job = fresh_job(session, job_id)
    assert (job.status, job.done, job.error) == ("failed", 1, SOURCE_HIDDEN)
    assert job.credits_refunded == price("variation", 2)
    assert balance(session, fan) == 10 - price("variation", 1)
