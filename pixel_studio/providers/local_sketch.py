"""The embedded default provider: a procedural picture drawn locally, no key, no network.

It is labelled for what it is in the catalog ("Local sketch — offline, procedural"). It goes
through the same interface as the real models, so the queue, storage and live progress are
exercised end to end in the embedded profile. Its edits (sketch/edits.py) are procedural too.
"""

from __future__ import annotations

from pixel_studio.catalog import get_model
from pixel_studio.providers.base import (
    EditRequest,
    GeneratedImage,
    ImageRequest,
    StepCallback,
    edit_seed,
    resolve_seed,
)
from pixel_studio.providers.errors import InvalidRequest
from pixel_studio.providers.sketch import edits, render_sketch
from pixel_studio.providers.sketch.pixels import decode, decode_mask, encode

DEFAULT_STRENGTH = 0.5


class LocalSketchProvider:
    model_id = "local-sketch"

    def generate(
        self, request: ImageRequest, on_step: StepCallback | None = None
    ) -> GeneratedImage:
        request.check_against(get_model(self.model_id))
        seed = resolve_seed(request)
        preset = request.style_preset or "none"
        png = render_sketch(request.prompt, seed, request.width, request.height, preset)
        if on_step is not None:
            on_step(1, 1)  # one "step": the picture is drawn in a single pass
        return GeneratedImage(
            png=png,
            width=request.width,
            height=request.height,
            seed=seed,
            metadata={"provider": "local-sketch", "style_preset": preset},
        )

    def edit(self, request: EditRequest, on_step: StepCallback | None = None) -> GeneratedImage:
        request.check_against(get_model(self.model_id))
        seed = edit_seed(request)
        preset = request.style_preset or "none"
        try:
            source = decode(request.source_png)
            mask = (
                decode_mask(request.mask_png, source.size) if request.mask_png is not None else None
            )
        except (OSError, ValueError) as exc:
            raise InvalidRequest(f"The source image or mask could not be used: {exc}") from exc
        op = request.operation
        alpha = source.alpha
        metadata: dict[str, object] = {"provider": "local-sketch", "operation": op}
        if op == "upscale":
            factor = request.factor or 2
            rgb = edits.upscale(source.rgb, factor)
            alpha = edits.upscale_alpha(alpha, factor) if alpha is not None else None
            metadata |= {"factor": factor, "method": "lanczos+unsharp"}
        elif op in ("variation", "image-to-image"):
            strength = DEFAULT_STRENGTH if request.strength is None else request.strength
            rgb = edits.restyle(
                source, request.prompt, seed, strength, preset, keep_palette=op == "variation"
            )
            metadata |= {"strength": strength, "style_preset": preset}
        else:
            assert mask is not None  # check_against: inpaint and outpaint carry a mask
            draw = edits.inpaint if op == "inpaint" else edits.outpaint
            rgb = draw(source, mask, request.prompt, seed, preset)
            metadata |= {"style_preset": preset}
        height, width = rgb.shape[:2]
        if (width, height) != (request.width, request.height):
            raise InvalidRequest(
                f"The result would be {width}x{height}, not the {request.width}x"
                f"{request.height} asked for."
            )
        png = encode(rgb, alpha)
        if on_step is not None:
            on_step(1, 1)
        return GeneratedImage(png=png, width=width, height=height, seed=seed, metadata=metadata)
