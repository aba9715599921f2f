"""The palette itself: the image's main colours, read through the storage interface, only
for a viewer the visibility rule lets see the image (else NotFound, like the image page)."""

from __future__ import annotations

import dataclasses
import io
import logging

from PIL import Image as PILImage
from sqlalchemy.engine import Engine

from pixel_studio.db import read_session
from pixel_studio.services.studio import images as images_service
from pixel_studio.storage import Storage, get_storage

COLOURS = 8
# The palette of a 256 px copy is the palette of the picture, in a fraction of the time.
SAMPLE_SIZE = (256, 256)


log = logging.getLogger(__name__)


@dataclasses.dataclass(frozen=True)
class Swatch:
    hex: str  # "#1a2b3c"
    percent: int  # share of the picture, rounded; the swatches add up to about 100
    label: str  # "#1a2b3c, 23%", what a screen reader reads


@dataclasses.dataclass(frozen=True)
class PaletteView:
    image_id: int
    prompt: str
    thumbnail_url: str
    swatches: list[Swatch]


def palette_of(data: bytes, colours: int = COLOURS) -> list[Swatch]:
    """The `colours` main colours of an image (median cut), the most used first."""
    with PILImage.open(io.BytesIO(data)) as img:
        img.thumbnail(SAMPLE_SIZE)
        quantized = img.convert("RGB").quantize(colors=colours, method=PILImage.Quantize.MEDIANCUT)
    palette: list[int] = list(quantized.getpalette() or [])
    # (pixels, palette index) for a "P" image
    counts: list[tuple[int, int]] = sorted(quantized.getcolors() or [], reverse=True)  # type: ignore[arg-type]
    total = sum(n for n, _ in counts) or 1
    swatches = []
    for n, index in counts:
        r, g, b = palette[index * 3 : index * 3 + 3]
        hex_ = f"#{r:02x}{g:02x}{b:02x}"
        percent = round(100 * n / total)
        swatches.append(Swatch(hex_, percent, f"{hex_}, {percent}%"))
    return swatches


def read_palette(
    viewer_id: int | None,
    image_id: int,
    *,
    storage: Storage | None = None,
    engine: Engine | None = None,
) -> PaletteView:
    """The palette of the image for this viewer; NotFound (services.errors) when the image
    does not exist or the viewer may not see it: the same answer either way."""
    storage = storage or get_storage()
    with read_session(engine) as session:
        image = images_service.get_visible_image(session, viewer_id, image_id)
        thumbnail = images_service.image_url(storage, image, viewer_id, thumbnail=True)
        key, prompt = image.original_key, image.prompt
    try:
        swatches = palette_of(storage.get(key))
    except Exception:  # Pillow raises many kinds of error for a damaged file
        log.warning("image %s: its file does not decode; no palette", image_id)
        swatches = []
    return PaletteView(image_id, prompt, thumbnail, swatches)
