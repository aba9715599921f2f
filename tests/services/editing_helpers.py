"""Scaffolding for the editing tests: files of every bad kind, a source image made by a real
text job, and a small EditingProvider standing in at the provider boundary.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import Any

from PIL import Image as PILImage
from PIL import ImageChops
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from pixel_studio.catalog import get_model
from pixel_studio.models import GenerationJob, Image, ImageSet
from pixel_studio.providers import GeneratedImage, StepCallback
from pixel_studio.providers.base import EditRequest
from pixel_studio.services.studio import editing
from pixel_studio.services.studio.jobs import run_job
from pixel_studio.settings import Settings
from pixel_studio.storage.local import LocalStorage
from tests.services.generation_helpers import Events, images_of, submit_job


def price(operation: str, count: int = 1) -> int:
    return get_model("local-sketch").price_of(operation) * count  # type: ignore[arg-type]


# ---------------------------------------------------------------- files


def png(width: int = 64, height: int = 64, colour: Any = (200, 40, 40), mode: str = "RGB") -> bytes:
    out = io.BytesIO()
    PILImage.new(mode, (width, height), colour).save(out, format="PNG")
    return out.getvalue()


def mask_png(width: int, height: int, box: tuple[int, int, int, int] | None) -> bytes:
    """White where to change (the painter's convention), black elsewhere."""
    img = PILImage.new("L", (width, height), 0)
    if box is not None:
        img.paste(255, box)
    out = io.BytesIO()
    img.save(out, format="PNG")
    return out.getvalue()


def cmyk_jpeg() -> bytes:
    out = io.BytesIO()
    PILImage.new("CMYK", (32, 32), (10, 20, 30, 0)).save(out, format="JPEG")
    return out.getvalue()


def png_16bit() -> bytes:
    out = io.BytesIO()
    PILImage.new("I;16", (32, 32), 40000).save(out, format="PNG")
    return out.getvalue()


def animated_webp() -> bytes:
    frames = [PILImage.new("RGB", (32, 32), c) for c in ((255, 0, 0), (0, 0, 255))]
    out = io.BytesIO()
    frames[0].save(out, format="WEBP", save_all=True, append_images=frames[1:], duration=100)
    return out.getvalue()


def truncated_png() -> bytes:
    noisy = PILImage.effect_noise((256, 256), 64).convert("RGB")
    out = io.BytesIO()
    noisy.save(out, format="PNG")
    data = out.getvalue()
    return data[: len(data) // 2]


def not_an_image() -> bytes:
    return b"%PDF-1.4 this is not a picture at all, whatever its name says\n" * 20


def oversize() -> bytes:
    return png()[:64] + b"\x00" * (editing.MAX_UPLOAD_BYTES + 1)


def too_many_pixels() -> bytes:
    return png(5000, 4000, 0, mode="L")  # 20 MP, a few KB


def exif_rotated_jpeg() -> bytes:
    """A 40×20 JPEG whose EXIF says "rotate 90°": people see it 20 wide, 40 high."""
    img = PILImage.new("RGB", (40, 20), (0, 200, 0))
    exif = PILImage.Exif()
    exif[0x0112] = 6  # Orientation: rotate 90 CW to display
    out = io.BytesIO()
    img.save(out, format="JPEG", exif=exif.tobytes())
    return out.getvalue()


def decode(data: bytes) -> PILImage.Image:
    with PILImage.open(io.BytesIO(data)) as img:
        img.load()
        return img.copy()


# ---------------------------------------------------------------- database


def make_source(
    db: Engine,
    session: Session,
    settings: Settings,
    storage: LocalStorage,
    user_id: int,
    *,
    private: bool = False,
) -> Image:
    """A real image made by a real text job with the local-sketch provider (256×256)."""
    job = submit_job(session, user_id, settings, private=private)
    run_job(job.id, engine=db, settings=settings, storage=storage, publish=Events())
    (image,) = images_of(session, job.id)
    return image


def stored_files(settings: Settings) -> set[str]:
    return {str(p) for p in settings.media_dir.rglob("*") if p.is_file()}


def edit_sets(session: Session) -> list[ImageSet]:
    rows = session.exec(select(ImageSet)).all()
    return [s for s in rows if (s.params or {}).get("operation")]


def edit_jobs(session: Session) -> list[GenerationJob]:
    return [j for j in session.exec(select(GenerationJob)).all() if j.params.get("operation")]


class Recorder(list[str]):
    """An enqueue function that only records (the test runs the job itself)."""

    def __call__(self, job_id: str) -> None:
        self.append(job_id)


# ---------------------------------------------------------------- the provider boundary


class FakeEditor:
    """A test double for the provider boundary (not for the code under test): it obeys the
    EditRequest contract in the simplest way, so the worker path can be checked exactly.

    inpaint / outpaint: the source with the masked pixels painted `fill`; upscale: a nearest
    resize; variation / image-to-image: the source with its colours inverted. It records every
    request, and `script(index, attempt)` may raise to stage failures.
    """

    fill = (0, 0, 255)

    def __init__(self, script: Callable[[int, int], None] | None = None) -> None:
        self.requests: list[EditRequest] = []
        self.script = script

    def generate(self, request: Any, on_step: StepCallback | None = None) -> GeneratedImage:
        raise AssertionError("an edit job must not call generate()")

    def edit(self, request: EditRequest, on_step: StepCallback | None = None) -> GeneratedImage:
        attempt = sum(1 for r in self.requests if r.index == request.index)
        self.requests.append(request)
        if self.script is not None:
            self.script(request.index, attempt)
        source = decode(request.source_png).convert("RGB")
        if request.operation in ("inpaint", "outpaint"):
            assert request.mask_png is not None
            mask = decode(request.mask_png)
            assert mask.mode == "L" and mask.size == source.size
            result = source.copy()
            result.paste(self.fill, (0, 0, *source.size), mask)
        elif request.operation == "upscale":
            result = source.resize((request.width, request.height), PILImage.Resampling.NEAREST)
        else:
            result = ImageChops.invert(source)
        assert result.size == (request.width, request.height)
        out = io.BytesIO()
        result.save(out, format="PNG")
        return GeneratedImage(
            png=out.getvalue(), width=result.width, height=result.height, seed=request.seed
        )


def submit_edit(
    session: Session,
    settings: Settings,
    storage: LocalStorage,
    uid: int,
    data: dict[str, Any],
    **files: Any,
) -> tuple[str, Events]:
    """Create the edit job as a request does (charged, queued once); its id and events."""
    events = Events()
    enqueued = Recorder()
    job = editing.create_edit_job(
        session, uid, data, settings, storage=storage, enqueue=enqueued, publish=events, **files
    )
    assert enqueued == [job.id] and events.trail() == [("queued", 0)]
    return job.id, events


def run_edit(
    db: Engine, settings: Settings, storage: LocalStorage, job_id: str, provider: Any
) -> Events:
    """Run the job as a worker does, with `provider` at the provider boundary, no backoff."""
    events = Events()
    run_job(
        job_id,
        engine=db,
        settings=settings,
        storage=storage,
        publish=events,
        provider_for=lambda _m: provider,
        sleep=lambda _s: None,
    )
    return events
