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

from pixel_studio.catalog import get_model
from pixel_studio.providers.base import (
    GeneratedImage,
    ImageRequest,
    StepCallback,
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

# Loaded pipelines, shared by every job in the process: loading costs seconds (or minutes on a
# big model), generating reuses it. One lock per pipeline, because a diffusers pipeline is not
# safe to call from two worker threads at once.
_PIPELINES: dict[tuple[str, str], tuple[Any, threading.Lock]] = {}
_LOAD_LOCK = threading.Lock()


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
        accepted = inspect.signature(pipe.__call__).parameters
        if request.negative_prompt and "negative_prompt" in accepted:
            kwargs["negative_prompt"] = request.negative_prompt
        if on_step is not None and "callback_on_step_end" in accepted:

            def _on_step_end(
                _pipe: Any, step: int, _timestep: Any, tensors: dict[str, Any]
            ) -> dict[str, Any]:
                on_step(step + 1, steps)
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
            raise ProviderUnavailable(
                "The local model failed while drawing.", detail=str(exc)
            ) from exc
        flagged = getattr(result, "nsfw_content_detected", None)
        if flagged and flagged[0]:
            raise ModerationRefused("The local model's safety checker blocked this image.")
        image = result.images[0]
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
