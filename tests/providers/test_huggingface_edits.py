"""Image-to-image through the real `InferenceClient.image_to_image` against a loopback peer."""

from __future__ import annotations

import base64
import io
from typing import Any

import pytest
from PIL import Image

from pixel_studio.providers.base import EditRequest
from pixel_studio.providers.errors import InvalidRequest, ProviderUnavailable, RateLimited
from pixel_studio.providers.huggingface import HuggingFaceProvider
from tests.providers.peers import Peer, Reply, image_bytes

REFINER = "stabilityai/stable-diffusion-xl-refiner-1.0"


def provider_for(peer: Peer) -> HuggingFaceProvider:
    return HuggingFaceProvider(token="hf_test", base_url=peer.url, timeout=5.0)


def request(**kw: Any) -> EditRequest:
    values: dict[str, Any] = {
        "model_id": REFINER,
        "operation": "image-to-image",
        "prompt": "as an oil painting",
        "source_png": image_bytes(640, 448, color="orange"),
        "width": 640,
        "height": 448,
    }
    return EditRequest(**(values | kw))


def png_reply(width: int, height: int) -> Reply:
    return Reply(body=image_bytes(width, height), headers={"Content-Type": "image/png"})


def test_refiner_sends_the_image_and_every_parameter(peer: Peer) -> None:
    peer.reply(png_reply(640, 448))
    steps: list[tuple[int, int]] = []
    result = provider_for(peer).edit(
        request(strength=0.35, seed=7, negative_prompt="blurry", guidance=6.0, steps=20),
        on_step=lambda s, t: steps.append((s, t)),
    )
    [req] = peer.requests
    assert req.path == f"/models/{REFINER}"
    assert req.headers["authorization"] == "Bearer hf_test"
    body = req.json()
    with Image.open(io.BytesIO(base64.b64decode(body["inputs"]))) as sent:
        assert (sent.format, sent.size) == ("PNG", (640, 448))
    assert body["parameters"] == {
        "prompt": "as an oil painting",
        "negative_prompt": "blurry",
        "target_size": {"width": 640, "height": 448},
        "num_inference_steps": 20,
        "guidance_scale": 6.0,
        "strength": 0.35,
        "seed": 7,
    }
    assert (result.width, result.height, result.seed) == (640, 448, 7)
    assert result.metadata["strength"] == 0.35 and steps == [(1, 1)]


def test_an_answer_of_another_size_is_resized_to_the_one_asked(peer: Peer) -> None:
    peer.reply(png_reply(1024, 1024))
    result = provider_for(peer).edit(request(seed=1))
    with Image.open(io.BytesIO(result.png)) as img:
        assert img.size == (640, 448)
    assert peer.requests[0].json()["parameters"]["guidance_scale"] == 5.0  # the default


@pytest.mark.parametrize(
    ("reply", "kind"),
    [
        (Reply.json({"error": "Rate limit reached"}, status=429), RateLimited),
        (Reply.json({"error": "loading"}, status=503), ProviderUnavailable),
        (Reply.json({"error": "bad image"}, status=400), InvalidRequest),
    ],
)
def test_errors_are_mapped(peer: Peer, reply: Reply, kind: type) -> None:
    peer.reply(reply)
    with pytest.raises(kind):
        provider_for(peer).edit(request(seed=1))


@pytest.mark.parametrize(
    "model", ["stabilityai/stable-diffusion-xl-base-1.0", "black-forest-labs/FLUX.1-dev"]
)
def test_text_models_do_not_offer_image_to_image(peer: Peer, model: str) -> None:
    with pytest.raises(InvalidRequest, match="cannot do image-to-image"):
        provider_for(peer).edit(request(model_id=model))
    assert peer.requests == []
