"""The worker side of an edit job: the source pixels, the mask, and one EditRequest per image.

services/studio/jobs.run_job claims, heartbeats, retries, stores and refunds exactly as for a text
job; for a job whose params name an edit operation it calls `load_edit_input` once (after the claim)
and `check_source` before each image, and builds each provider call with `edit_request`.

The source is re-read at run time, not at submit time: it may have been made private (its files
move under new keys) or deleted while the job waited. Either, when the job's owner can no longer
see it, is `SourceGone`: the job fails with that message and the images not made are refunded.
"""

from __future__ import annotations

import io
import secrets
from dataclasses import dataclass
from typing import Any

from PIL import Image as PILImage
from sqlalchemy.engine import Engine

from pixel_studio.db import session_scope
from pixel_studio.models import Image
from pixel_studio.providers.base import MAX_SEED, EditRequest
from pixel_studio.services.studio.uploads import open_upright
from pixel_studio.services.visibility import is_visible
from pixel_studio.storage import Storage

SOURCE_DELETED = "The image this edit starts from was deleted before the job ran."
SOURCE_HIDDEN = "The image this edit starts from is no longer available (it was made private)."
SOURCE_FILE_MISSING = "The start image of this edit could not be read."


class SourceGone(Exception):
    """The edit's source can no longer be used; `message` is shown on the job."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class EditInput:
    """What every image of one edit job starts from (loaded once per run)."""

    operation: str
    source_png: bytes  # for outpaint: the enlarged canvas
    mask_png: bytes | None
    width: int  # of each result
    height: int


def is_edit(params: dict[str, Any]) -> bool:
    return str(params.get("operation") or "text") != "text"


def check_source(engine: Engine, user_id: int, params: dict[str, Any]) -> str | None:
    """The source image's current original key, or None for an uploaded start image.
    SourceGone when it was deleted or the job's owner may no longer see it."""
    source_id = params.get("parent_image_id")
    if source_id is None:
        return None
    with session_scope(engine) as session:
        image = session.get(Image, int(source_id))
        if image is None:
            raise SourceGone(SOURCE_DELETED)
        if not is_visible(user_id, image):
            raise SourceGone(SOURCE_HIDDEN)
        return image.original_key


def _read(storage: Storage, key: str) -> bytes:
    try:
        return storage.get(key)
    except Exception as exc:  # a missing key or a storage outage: the job cannot start
        raise SourceGone(SOURCE_FILE_MISSING) from exc


def _as_png(img: PILImage.Image) -> bytes:
    out = io.BytesIO()
    img.save(out, format="PNG", compress_level=1)
    return out.getvalue()


def outpaint_offset(
    size: tuple[int, int], canvas: tuple[int, int], direction: str
) -> tuple[int, int]:
    """Where the original sits on the enlarged canvas: centred, or against the side that
    does not grow (zooming out to the left keeps the picture at the right edge)."""
    (w, h), (cw, ch) = size, canvas
    x = {"left": cw - w, "right": 0}.get(direction, (cw - w) // 2)
    y = {"up": ch - h, "down": 0}.get(direction, (ch - h) // 2)
    return x, y


def outpaint_canvas(
    source: PILImage.Image, canvas: tuple[int, int], direction: str
) -> tuple[bytes, bytes]:
    """(canvas PNG, mask PNG) for zooming out: the original pasted where it stays, the new
    border filled by stretching the original's edge pixels outwards (so a provider starts from
    the right colours), and an "L" mask that is 255 exactly on that border."""
    w, h = source.size
    cw, ch = canvas
    x, y = outpaint_offset((w, h), canvas, direction)
    out = PILImage.new(source.mode, canvas)
    out.paste(source, (x, y))
    if x > 0:
        out.paste(source.crop((0, 0, 1, h)).resize((x, h)), (0, y))
    if cw - x - w > 0:
        out.paste(source.crop((w - 1, 0, w, h)).resize((cw - x - w, h)), (x + w, y))
    if y > 0:
        out.paste(out.crop((0, y, cw, y + 1)).resize((cw, y)), (0, 0))
    if ch - y - h > 0:
        out.paste(out.crop((0, y + h - 1, cw, y + h)).resize((cw, ch - y - h)), (0, y + h))
    mask = PILImage.new("L", canvas, 255)
    mask.paste(0, (x, y, x + w, y + h))
    return _as_png(out), _as_png(mask)


def load_edit_input(
    engine: Engine, storage: Storage, user_id: int, params: dict[str, Any]
) -> EditInput:
    """Read the job's start image (the source image as it is now, or the stored upload) and
    mask, and build the outpaint canvas. SourceGone when the source cannot be used."""
    operation = str(params["operation"])
    key = check_source(engine, user_id, params) or params.get("upload_key")
    if not key:
        raise SourceGone(SOURCE_FILE_MISSING)
    try:
        source = open_upright(_read(storage, str(key)))
    except SourceGone:
        raise
    except Exception as exc:  # a stored file Pillow cannot read any more
        raise SourceGone(SOURCE_FILE_MISSING) from exc
    width, height = int(params["width"]), int(params["height"])
    mask_png: bytes | None = None
    if operation == "outpaint":
        direction = str((params.get("edit") or {}).get("direction") or "all")
        source_png, mask_png = outpaint_canvas(source, (width, height), direction)
    else:
        source_png = _as_png(source)
        if operation == "inpaint":
            mask_png = _read(storage, str(params["mask_key"]))
    return EditInput(operation, source_png, mask_png, width, height)


def edit_request(
    edit: EditInput, params: dict[str, Any], index: int, seed: int | None
) -> EditRequest:
    """The provider call for image `index` of the job (`seed`: already resolved, fixed across
    retries so a retry makes the same picture)."""
    extra = params.get("edit") or {}
    operation = edit.operation
    return EditRequest(
        model_id=str(params["model"]),
        operation=operation,  # type: ignore[arg-type]  # checked against the catalog at submit
        source_png=edit.source_png,
        mask_png=edit.mask_png,
        prompt="" if operation == "upscale" else str(params.get("prompt") or ""),
        negative_prompt=params.get("negative_prompt"),
        width=edit.width,
        height=edit.height,
        strength=extra.get("strength"),
        factor=extra.get("factor"),
        seed=seed % (MAX_SEED + 1) if seed is not None else None,
        style_preset=params.get("style_preset"),
        index=index,
    )


def job_seed(params: dict[str, Any], index: int) -> int:
    """Image `index`'s seed: the job's fixed seed + index (a reproducible set), or a fresh
    random one, fixed before the first attempt so a retry makes the same picture."""
    seed = params.get("seed")
    if seed is not None:
        return (int(seed) + index) % (MAX_SEED + 1)
    return secrets.randbelow(MAX_SEED + 1)


def png_params(params: dict[str, Any]) -> dict[str, Any]:
    """The edit's parameters written into the stored PNG beside the prompt and the model."""
    extra = params.get("edit") or {}
    out: dict[str, Any] = {"operation": params.get("operation")}
    source_id = params.get("parent_image_id")
    out["source_image_id"] = int(source_id) if source_id is not None else None
    for name in ("strength", "vary", "zoom", "direction", "factor"):
        value = extra.get(name)
        out[name] = value if isinstance(value, str | int | float) else None
    return out
