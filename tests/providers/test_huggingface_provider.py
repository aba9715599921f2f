"""The real `huggingface_hub.InferenceClient` against a loopback peer at /models/{repo}."""

from __future__ import annotations

import time
from typing import Any

import pytest

from pixel_studio.providers import get_provider
from pixel_studio.providers.base import PNG_SIGNATURE, ImageRequest
from pixel_studio.providers.errors import (
    AuthRefused,
    InvalidRequest,
    ModerationRefused,
    ProviderError,
    ProviderTimeout,
    ProviderUnavailable,
    QuotaExceeded,
    RateLimited,
)
from pixel_studio.providers.huggingface import HuggingFaceProvider
from pixel_studio.settings import Settings
from tests.providers.peers import Peer, Reply, free_port, image_bytes

SDXL = "stabilityai/stable-diffusion-xl-base-1.0"
SCHNELL = "black-forest-labs/FLUX.1-schnell"
FLUX_DEV = "black-forest-labs/FLUX.1-dev"


def provider_for(peer: Peer, timeout: float = 5.0) -> HuggingFaceProvider:
    return HuggingFaceProvider(token="hf_test", base_url=peer.url, timeout=timeout)


def png_reply(width: int = 1024, height: int = 1024, fmt: str = "PNG") -> Reply:
    ctype = "image/png" if fmt == "PNG" else "image/jpeg"
    return Reply(body=image_bytes(width, height, fmt), headers={"Content-Type": ctype})


def request(model: str = SDXL, size: tuple[int, int] = (1024, 1024), **kw: Any) -> ImageRequest:
    return ImageRequest(model_id=model, prompt="a red fox", width=size[0], height=size[1], **kw)


def test_sdxl_success_sends_every_parameter(peer: Peer) -> None:
    peer.reply(png_reply(768, 512))
    img = provider_for(peer).generate(
        request(size=(768, 512), negative_prompt="blurry", seed=42, guidance=9.0, steps=25)
    )
    assert img.png.startswith(PNG_SIGNATURE)
    assert (img.width, img.height, img.seed) == (768, 512, 42)
    [req] = peer.requests
    assert req.path == f"/models/{SDXL}"
    assert req.headers["authorization"] == "Bearer hf_test"
    body = req.json()
    assert body["inputs"] == "a red fox"
    assert body["parameters"] == {
        "negative_prompt": "blurry",
        "width": 768,
        "height": 512,
        "num_inference_steps": 25,
        "guidance_scale": 9.0,
        "seed": 42,
    }
    assert img.metadata["guidance_scale"] == 9.0


def test_defaults_fill_in_steps_and_guidance_and_a_seed(peer: Peer) -> None:
    peer.reply(png_reply())
    img = provider_for(peer).generate(request(FLUX_DEV))
    params = peer.requests[0].json()["parameters"]
    assert params["num_inference_steps"] == 28 and params["guidance_scale"] == 3.5
    assert "negative_prompt" not in params  # FLUX takes none
    assert isinstance(params["seed"], int) and params["seed"] == img.seed


def test_schnell_sends_only_size_and_seed(peer: Peer) -> None:
    peer.reply(png_reply(512, 512))
    provider_for(peer).generate(request(SCHNELL, (512, 512), negative_prompt="x", seed=7))
    params = peer.requests[0].json()["parameters"]
    assert params == {"width": 512, "height": 512, "seed": 7}


def test_jpeg_reply_is_stored_as_png(peer: Peer) -> None:
    peer.reply(png_reply(fmt="JPEG"))
    img = provider_for(peer).generate(request())
    assert img.png.startswith(PNG_SIGNATURE)


def test_progress_callback_gets_one_step(peer: Peer) -> None:
    peer.reply(png_reply())
    steps: list[tuple[int, int]] = []
    provider_for(peer).generate(request(), on_step=lambda s, t: steps.append((s, t)))
    assert steps == [(1, 1)]


def _err(status: int, message: str = "failed", **headers: str) -> Reply:
    return Reply.json({"error": message}, status=status, **headers)


@pytest.mark.parametrize(
    ("reply", "kind", "transient"),
    [
        (_err(400, "Invalid parameters"), InvalidRequest, False),
        (_err(400, "NSFW content detected in the output"), ModerationRefused, False),
        (_err(422, "width must be a multiple of 8"), InvalidRequest, False),
        (_err(401, "Invalid credentials"), AuthRefused, False),
        (_err(403, "Forbidden"), AuthRefused, False),
        (_err(402, "You have exceeded your monthly included credits"), QuotaExceeded, False),
        (_err(404, "Model not found"), InvalidRequest, False),
        (_err(429, "Rate limit reached", **{"Retry-After": "3"}), RateLimited, True),
        (_err(500, "Internal error"), ProviderUnavailable, True),
        (_err(503, "Model is currently loading"), ProviderUnavailable, True),
        (_err(504, "Gateway timeout"), ProviderTimeout, True),
        (Reply(body=b"<html>not an image</html>", headers={"Content-Type": "image/png"}),
         ProviderUnavailable, True),
    ],
)  # fmt: skip
def test_errors_map_to_typed_errors(
    peer: Peer, reply: Reply, kind: type[ProviderError], transient: bool
) -> None:
    peer.reply(reply)
    with pytest.raises(kind) as caught:
        provider_for(peer).generate(request())
    assert caught.value.transient is transient
    assert caught.value.message
    assert len(peer.requests) == 1  # no hidden retries: the worker owns them


def test_rate_limit_carries_retry_after(peer: Peer) -> None:
    peer.reply(_err(429, "slow down", **{"Retry-After": "3"}))
    with pytest.raises(RateLimited) as caught:
        provider_for(peer).generate(request())
    assert caught.value.retry_after == 3.0


def test_slow_answer_is_a_timeout(peer: Peer) -> None:
    slow = png_reply()
    slow.delay = 1.5
    peer.reply(slow)
    started = time.monotonic()
    with pytest.raises(ProviderTimeout) as caught:
        provider_for(peer, timeout=0.5).generate(request())
    assert caught.value.transient is True
    assert time.monotonic() - started < 1.4


def test_nobody_listening_is_unavailable() -> None:
    provider = HuggingFaceProvider(token="hf_test", base_url=f"http://127.0.0.1:{free_port()}")
    with pytest.raises(ProviderUnavailable) as caught:
        provider.generate(request())
    assert caught.value.transient is True


def test_size_the_model_cannot_make_never_reaches_the_hub(peer: Peer) -> None:
    with pytest.raises(InvalidRequest):
        provider_for(peer).generate(request(size=(1792, 1024)))
    assert peer.requests == []


def test_get_provider_uses_settings(peer: Peer) -> None:
    peer.reply(png_reply(512, 512))
    settings = Settings(_env_file=None, hf_token="hf_settings", hf_base_url=peer.url + "/")  # type: ignore[call-arg]
    get_provider(SCHNELL, settings).generate(request(SCHNELL, (512, 512)))
    req = peer.requests[0]
    assert req.path == f"/models/{SCHNELL}"
    assert req.headers["authorization"] == "Bearer hf_settings"
