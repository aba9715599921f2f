"""The embedded default provider: a procedural picture drawn locally, no key, no network.

It is labelled for what it is in the catalog ("Local sketch — offline, procedural"). It goes
through the same interface as the real models, so the queue, storage and live progress are
exercised end to end in the embedded profile.
"""

from __future__ import annotations

from pixel_studio.catalog import get_model
from pixel_studio.providers.base import (
    GeneratedImage,
    ImageRequest,
    StepCallback,
    resolve_seed,
)
from pixel_studio.providers.sketch import render_sketch


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
