"""The real `openai` client against a loopback peer speaking POST /v1/images/generations."""

from __future__ import annotations

import base64
import io
import time
from typing import Any

import pytest
from PIL import Image

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
from pixel_studio.providers.openai_provider import OpenAIProvider
from pixel_studio.settings import Settings
from tests.providers.peers import Peer, Reply, free_port, image_bytes


def provider_for(peer: Peer, timeout: float = 5.0) -> OpenAIProvider:
    return OpenAIProvider(api_key="sk-test", base_url=peer.url + "/v1", timeout=timeout)


def b64_reply(width: int, height: int, fmt: str = "PNG", **extra: str) -> Reply:
    data = base64.b64encode(image_bytes(width, height, fmt)).decode()
    return Reply.json({"created": 1, "data": [{"b64_json": data, **extra}]})


def request(
    model: str = "dall-e-3", size: tuple[int, int] = (1024, 1024), **kw: Any
) -> ImageRequest:
    return ImageRequest(model_id=model, prompt="a lighthouse", width=size[0], height=size[1], **kw)


def error_reply(status: int, code: str | None, message: str = "nope", **headers: str) -> Reply:
    body = {"error": {"message": message, "type": "invalid_request_error", "code": code}}
    return Reply.json(body, status=status, **headers)


def test_dall_e_3_success_sends_the_right_body(peer: Peer) -> None:
    peer.reply(b64_reply(1792, 1024, revised_prompt="a tall lighthouse"))
    img = provider_for(peer).generate(
        request(size=(1792, 1024), quality="hd", style="natural", index=2)
    )
    assert img.png.startswith(PNG_SIGNATURE)
    assert (img.width, img.height) == (1792, 1024)
    assert img.seed is None
    assert img.metadata["revised_prompt"] == "a tall lighthouse"
    [req] = peer.requests
    assert req.path == "/v1/images/generations"
    assert req.headers["authorization"] == "Bearer sk-test"
    assert req.json() == {
        "model": "dall-e-3",
        "prompt": "a lighthouse",
        "n": 1,
        "size": "1792x1024",
        "response_format": "b64_json",
        "quality": "hd",
        "style": "natural",
    }


def test_dall_e_3_defaults_to_standard_quality(peer: Peer) -> None:
    peer.reply(b64_reply(1024, 1024))
    provider_for(peer).generate(request())
    body = peer.requests[0].json()
    assert body["quality"] == "standard"
    assert "style" not in body


def test_dall_e_2_sends_no_quality(peer: Peer) -> None:
    peer.reply(b64_reply(256, 256))
    img = provider_for(peer).generate(request("dall-e-2", (256, 256)))
    assert (img.width, img.height) == (256, 256)
    body = peer.requests[0].json()
    assert body["size"] == "256x256" and body["model"] == "dall-e-2"
    assert "quality" not in body and "style" not in body


def test_gpt_image_1_omits_response_format(peer: Peer) -> None:
    peer.reply(b64_reply(1536, 1024))
    provider_for(peer).generate(request("gpt-image-1", (1536, 1024), quality="high"))
    body = peer.requests[0].json()
    assert "response_format" not in body
    assert body["quality"] == "high" and body["size"] == "1536x1024"


def test_non_png_reply_is_re_encoded_as_png(peer: Peer) -> None:
    peer.reply(b64_reply(1024, 1024, fmt="JPEG"))
    img = provider_for(peer).generate(request())
    assert img.png.startswith(PNG_SIGNATURE)
    with Image.open(io.BytesIO(img.png)) as decoded:
        assert decoded.format == "PNG" and decoded.size == (1024, 1024)


def test_progress_callback_gets_one_step(peer: Peer) -> None:
    peer.reply(b64_reply(1024, 1024))
    steps: list[tuple[int, int]] = []
    provider_for(peer).generate(request(), on_step=lambda s, t: steps.append((s, t)))
    assert steps == [(1, 1)]


@pytest.mark.parametrize(
    ("reply", "kind", "transient"),
    [
        (error_reply(400, "content_policy_violation"), ModerationRefused, False),
        (error_reply(400, "moderation_blocked"), ModerationRefused, False),
        (error_reply(400, "billing_hard_limit_reached"), QuotaExceeded, False),
        (error_reply(400, "invalid_size", "size is wrong"), InvalidRequest, False),
        (error_reply(401, "invalid_api_key"), AuthRefused, False),
        (error_reply(403, None, "org not verified"), AuthRefused, False),
        (error_reply(404, "model_not_found"), InvalidRequest, False),
        (error_reply(429, "insufficient_quota"), QuotaExceeded, False),
        (error_reply(429, "rate_limit_exceeded", **{"Retry-After": "7"}), RateLimited, True),
        (error_reply(500, None, "server error"), ProviderUnavailable, True),
        (error_reply(503, None, "overloaded"), ProviderUnavailable, True),
        (Reply.json({"created": 1, "data": []}), ProviderUnavailable, True),
        (Reply.json({"created": 1, "data": [{"url": "https://x.test/a.png"}]}),
         ProviderUnavailable, True),
        (Reply.json({"created": 1, "data": [{"b64_json": "bm90IGFuIGltYWdl"}]}),
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
    assert caught.value.message and "{" not in caught.value.message  # no raw JSON for people
    assert len(peer.requests) == 1  # max_retries=0: the worker owns retries


def test_rate_limit_carries_retry_after(peer: Peer) -> None:
    peer.reply(error_reply(429, "rate_limit_exceeded", **{"Retry-After": "7"}))
    with pytest.raises(RateLimited) as caught:
        provider_for(peer).generate(request())
    assert caught.value.retry_after == 7.0


def test_invalid_request_message_says_what_openai_said(peer: Peer) -> None:
    peer.reply(error_reply(400, "invalid_value", "prompt too long"))
    with pytest.raises(InvalidRequest, match="prompt too long"):
        provider_for(peer).generate(request())


def test_slow_answer_is_a_timeout(peer: Peer) -> None:
    slow = b64_reply(1024, 1024)
    slow.delay = 1.5
    peer.reply(slow)
    started = time.monotonic()
    with pytest.raises(ProviderTimeout) as caught:
        provider_for(peer, timeout=0.5).generate(request())
    assert caught.value.transient is True
    assert time.monotonic() - started < 1.4


def test_nobody_listening_is_unavailable() -> None:
    provider = OpenAIProvider(api_key="sk-test", base_url=f"http://127.0.0.1:{free_port()}/v1")
    with pytest.raises(ProviderUnavailable) as caught:
        provider.generate(request())
    assert caught.value.transient is True


def test_size_the_model_cannot_make_never_reaches_openai(peer: Peer) -> None:
    with pytest.raises(InvalidRequest, match="1792x1024"):
        provider_for(peer).generate(request("dall-e-2", (1792, 1024)))
    assert peer.requests == []


def test_get_provider_uses_settings_base_url(peer: Peer) -> None:
    peer.reply(b64_reply(512, 512))
    settings = Settings(  # type: ignore[call-arg]
        _env_file=None, openai_api_key="sk-from-settings", openai_base_url=peer.url + "/v1"
    )
    img = get_provider("dall-e-2", settings).generate(request("dall-e-2", (512, 512)))
    assert img.width == 512
    assert peer.requests[0].headers["authorization"] == "Bearer sk-from-settings"
