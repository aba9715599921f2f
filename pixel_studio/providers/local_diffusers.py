"""A real diffusion model from a folder on this server (optional: torch, diffusers, transformers).

The pipeline is loaded with `local_files_only=True` from LOCAL_DIFFUSERS_MODEL_DIR and never
downloads anything. torch and diffusers are imported lazily: importing torch takes seconds and
most installs do not have it, and the rest of the studio must not pay for either.
"""

from __future__ import annotations

import inspect
import threading
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from pixel_studio.catalog import get_model
from pixel_studio.providers.base import (
    EditRequest,
    GeneratedImage,
    ImageRequest,
    StepCallback,
    edit_seed,
    image_to_png,
    resolve_seed,
)
from pixel_studio.providers.errors import (
    InvalidRequest,
    ModerationRefused,
    NotConfigured,
    ProviderError,
    ProviderUnavailable,
)
from pixel_studio.providers.sketch.pixels import composite, decode, decode_mask, encode

# Loaded pipelines, shared by every job in the process: loading costs seconds (or minutes on a
# big model), generating reuses it. One lock per pipeline, because a diffusers pipeline is not
# safe to call from two worker threads at once.
_PIPELINES: dict[tuple[str, str], tuple[Any, threading.Lock]] = {}
_LOAD_LOCK = threading.Lock()
# Image-to-image and inpainting pipelines made from a loaded one with `from_pipe`: they share
# its modules (UNet, VAE, text encoder), so they cost no second copy of the weights, and they
# share its lock too, since the modules are the same objects.
_DERIVED: dict[tuple[int, str], Any] = {}


def _import_torch_diffusers() -> tuple[Any, Any]:
    try:
        import diffusers
        import torch
    except ImportError as exc:
        raise NotConfigured(
            "The local diffusion model needs the optional torch, diffusers and transformers "
            "packages, which are not installed on this server.",
            detail=str(exc),
        ) from exc
    return torch, diffusers


def default_device(torch: Any) -> str:
    return "cuda" if torch.cuda.is_available() else "cpu"


def load_pipeline(model_dir: str, device: str | None = None) -> tuple[Any, threading.Lock]:
    """Load (once per process) the pipeline stored in `model_dir` and move it to the device."""
    torch, diffusers = _import_torch_diffusers()
    device = device or default_device(torch)
    key = (str(Path(model_dir).resolve()), device)
    with _LOAD_LOCK:
        if key in _PIPELINES:
            return _PIPELINES[key]
        if not Path(model_dir).is_dir():
            raise NotConfigured(f"The local model folder {model_dir} does not exist.")
        # Half precision only where it is fast and supported: on CPU it is slow or fails.
        dtype = torch.float16 if device == "cuda" else torch.float32
        try:
            pipe = diffusers.DiffusionPipeline.from_pretrained(
                model_dir, local_files_only=True, dtype=dtype
            )
        except (OSError, ValueError, KeyError) as exc:
            raise NotConfigured(
                f"Could not load a diffusion model from {model_dir}.", detail=str(exc)
            ) from exc
        pipe = pipe.to(device)
        if hasattr(pipe, "set_progress_bar_config"):
            pipe.set_progress_bar_config(disable=True)  # progress goes through on_step instead
        _PIPELINES[key] = (pipe, threading.Lock())
        return _PIPELINES[key]


def derived_pipeline(pipe: Any, kind: str) -> Any:
    """The "image-to-image" or "inpaint" pipeline built from `pipe` (once per process)."""
    _, diffusers = _import_torch_diffusers()
    key = (id(pipe), kind)
    with _LOAD_LOCK:
        if key not in _DERIVED:
            auto = (
                diffusers.AutoPipelineForImage2Image
                if kind == "image-to-image"
                else diffusers.AutoPipelineForInpainting
            )
            try:
                derived = auto.from_pipe(pipe)
            except (ValueError, KeyError) as exc:  # a pipeline family with no such variant
                raise InvalidRequest(
                    f"The local model cannot do {kind}: {exc}", detail=str(exc)
                ) from exc
            if hasattr(derived, "set_progress_bar_config"):
                derived.set_progress_bar_config(disable=True)
            _DERIVED[key] = derived
        return _DERIVED[key]


class LocalDiffusersProvider:
    model_id = "local-diffusers"

    def __init__(self, model_dir: str, device: str | None = None) -> None:
        if not model_dir:
            raise NotConfigured("Set LOCAL_DIFFUSERS_MODEL_DIR to use the local diffusion model.")
        self.model_dir = model_dir
        self.device = device

    def generate(
        self, request: ImageRequest, on_step: StepCallback | None = None
    ) -> GeneratedImage:
        spec = get_model(self.model_id)
        request.check_against(spec)
        torch, _ = _import_torch_diffusers()
        pipe, lock = load_pipeline(self.model_dir, self.device)
        seed = resolve_seed(request)
        steps = request.steps or spec.default_steps or 20
        guidance = request.guidance if request.guidance is not None else spec.default_guidance
        # A CPU generator gives the same picture for a seed on CPU and CUDA machines alike.
        generator = torch.Generator(device="cpu").manual_seed(seed)
        kwargs: dict[str, Any] = {
            "prompt": request.prompt,
            "width": request.width,
            "height": request.height,
            "num_inference_steps": steps,
            "guidance_scale": guidance,
            "generator": generator,
            "output_type": "pil",
        }
        image = _run(torch, pipe, lock, kwargs, request.negative_prompt, on_step, steps)
        width, height = image.size
        return GeneratedImage(
            png=image_to_png(image),
            width=width,
            height=height,
            seed=seed,
            metadata={
                "provider": "local-diffusers",
                "steps": steps,
                "guidance_scale": guidance,
                "device": str(pipe.device),
            },
        )

    def edit(self, request: EditRequest, on_step: StepCallback | None = None) -> GeneratedImage:
        """Vary and image-to-image through the image-to-image pipeline, inpaint and outpaint
        through the inpainting one, both derived from the loaded pipeline (from_pipe)."""
        spec = get_model(self.model_id)
        request.check_against(spec)
        torch, _ = _import_torch_diffusers()
        base, lock = load_pipeline(self.model_dir, self.device)
        masked = request.operation in ("inpaint", "outpaint")
        pipe = derived_pipeline(base, "inpaint" if masked else "image-to-image")
        try:
            source = decode(request.source_png)
            mask = (
                decode_mask(request.mask_png, source.size) if masked and request.mask_png else None
            )
        except (OSError, ValueError) as exc:
            raise InvalidRequest(f"The source image or mask could not be used: {exc}") from exc
        seed = edit_seed(request)
        steps = request.steps or spec.default_steps or 20
        guidance = request.guidance if request.guidance is not None else spec.default_guidance
        # The UNet works on latents 8x smaller than the picture: work at a multiple of 8 and
        # resize back (the kept pixels are copied from the source below anyway).
        work = (max(8, request.width // 8 * 8), max(8, request.height // 8 * 8))
        image = Image.fromarray(source.rgb).resize(work, Image.Resampling.LANCZOS)
        kwargs: dict[str, Any] = {
            "prompt": request.prompt,
            "image": image,
            "num_inference_steps": steps,
            "guidance_scale": guidance,
            "generator": torch.Generator(device="cpu").manual_seed(seed),
            "output_type": "pil",
        }
        if mask is not None:
            kwargs |= {
                "mask_image": Image.fromarray(mask).resize(work, Image.Resampling.NEAREST),
                "width": work[0],
                "height": work[1],
                "strength": 1.0,  # repaint the masked region from noise
            }
        else:
            strength = 0.5 if request.strength is None else request.strength
            # Fewer than one denoising step is an error in diffusers: the floor is one step.
            kwargs["strength"] = max(strength, 1.0 / steps)
        drawn = _run(torch, pipe, lock, kwargs, request.negative_prompt, on_step, steps)
        rgb = np.asarray(
            drawn.convert("RGB").resize((request.width, request.height), Image.Resampling.LANCZOS),
            np.uint8,
        )
        if mask is not None:
            # A VAE round trip shifts every pixel a little: copy the kept ones back exactly.
            rgb = composite(source.rgb, rgb, mask.astype(np.float32) / 255.0)
        return GeneratedImage(
            png=encode(rgb, source.alpha),
            width=request.width,
            height=request.height,
            seed=seed,
            metadata={
                "provider": "local-diffusers",
                "operation": request.operation,
                "steps": steps,
                "guidance_scale": guidance,
                "strength": kwargs["strength"],
            },
        )


def _run(
    torch: Any,
    pipe: Any,
    lock: threading.Lock,
    kwargs: dict[str, Any],
    negative_prompt: str | None,
    on_step: StepCallback | None,
    steps: int,
) -> Any:
    """Call a pipeline with progress per step; diffusers' errors become typed ones."""
    accepted = inspect.signature(pipe.__call__).parameters
    if negative_prompt and "negative_prompt" in accepted:
        kwargs["negative_prompt"] = negative_prompt
    if on_step is not None and "callback_on_step_end" in accepted:

        def _on_step_end(
            running: Any, step: int, _timestep: Any, tensors: dict[str, Any]
        ) -> dict[str, Any]:
            # Image-to-image runs only the last `strength` share of the schedule.
            on_step(step + 1, int(getattr(running, "num_timesteps", 0) or steps))
            return tensors

        kwargs["callback_on_step_end"] = _on_step_end
    try:
        with lock, torch.inference_mode():
            result = pipe(**kwargs)
    except ProviderError:
        raise
    except ValueError as exc:  # diffusers validates sizes, steps and prompts this way
        raise InvalidRequest(f"The local model rejected these settings: {exc}") from exc
    except RuntimeError as exc:
        # Out of memory (torch.cuda.OutOfMemoryError is a RuntimeError) may pass once
        # another job frees the GPU; other runtime errors are usually the same.
        raise ProviderUnavailable("The local model failed while drawing.", detail=str(exc)) from exc
    flagged = getattr(result, "nsfw_content_detected", None)
    if flagged and flagged[0]:
        raise ModerationRefused("The local model's safety checker blocked this image.")
    return result.images[0]
