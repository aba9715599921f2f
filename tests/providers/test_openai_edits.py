"""OpenAI edits and variations: the real `openai` client against a loopback peer that parses
the multipart body it receives, so the test asserts what OpenAI would see."""

from __future__ import annotations

import base64
import io
from typing import Any

import numpy as np
import pytest
from PIL import Image, ImageDraw

from pixel_studio.providers.base import EditRequest
from pixel_studio.providers.errors import InvalidRequest, ModerationRefused, RateLimited
from pixel_studio.providers.openai_provider import OpenAIProvider
from tests.providers.peers import Peer, Recorded, Reply


def provider_for(peer: Peer) -> OpenAIProvider:
    return OpenAIProvider(api_key="sk-test", base_url=peer.url + "/v1", timeout=5.0)


def png_of(img: Image.Image) -> bytes:
    buf = io.BytesIO()
    img.save(buf, format="PNG")
    return buf.getvalue()


def answer_with(img: Image.Image) -> Reply:
    return Reply.json(
        {"created": 1, "data": [{"b64_json": base64.b64encode(png_of(img)).decode()}]}
    )


def answer_in_kind(req: Recorded) -> Reply:
    """Answer with an image of the size asked for: red where the source was, blue margin."""
    w, h = (int(v) for v in req.form()["size"].text.split("x"))
    return answer_with(Image.new("RGB", (w, h), (200, 20, 20)))


def source(size: tuple[int, int]) -> bytes:
    img = Image.new("RGB", size, (40, 160, 90))
    ImageDraw.Draw(img).ellipse((10, 10, size[0] // 2, size[1] // 2), fill=(240, 230, 20))
    return png_of(img)


def rect_mask(size: tuple[int, int], box: tuple[int, int, int, int]) -> bytes:
    mask = Image.new("L", size, 0)
    mask.paste(255, box)
    return png_of(mask)


def edit(peer: Peer, **kw: Any) -> Any:
    values: dict[str, Any] = {"model_id": "dall-e-2", "prompt": "a red balloon"}
    return provider_for(peer).edit(EditRequest(**(values | kw)))


def test_dall_e_2_inpaint_sends_image_and_alpha_mask(peer: Peer) -> None:
    peer.responder = answer_in_kind
    box = (100, 150, 300, 260)
    result = edit(
        peer, operation="inpaint", source_png=source((512, 512)),
        mask_png=rect_mask((512, 512), box), width=512, height=512,
    )  # fmt: skip
    [req] = peer.requests
    assert req.path == "/v1/images/edits"
    form = req.form()
    assert {k: form[k].text for k in ("model", "prompt", "n", "size", "response_format")} == {
        "model": "dall-e-2",
        "prompt": "a red balloon",
        "n": "1",
        "size": "512x512",
        "response_format": "b64_json",
    }
    image = form["image"].image()
    assert (image.format, image.size, image.mode) == ("PNG", (512, 512), "RGBA")
    assert np.array_equal(
        np.asarray(image.convert("RGB")),
        np.asarray(Image.open(io.BytesIO(source((512, 512)))).convert("RGB")),
    )
    mask = form["mask"].image()
    assert (mask.format, mask.size, mask.mode) == ("PNG", (512, 512), "RGBA")
    alpha = np.asarray(mask.getchannel("A"))
    painted = np.zeros((512, 512), bool)
    painted[box[1] : box[3], box[0] : box[2]] = True
    assert np.array_equal(alpha == 0, painted)  # alpha 0 exactly where painted
    assert (alpha[~painted] == 255).all()  # fully opaque elsewhere
    assert len(form["image"].data) < 4 * 1024 * 1024
    assert (result.width, result.height) == (512, 512)
    assert result.metadata["operation"] == "inpaint"


def test_dall_e_2_variation_goes_to_create_variation(peer: Peer) -> None:
    peer.responder = answer_in_kind
    result = edit(
        peer, operation="variation", prompt="", source_png=source((256, 256)),
        width=256, height=256,
    )  # fmt: skip
    [req] = peer.requests
    assert req.path == "/v1/images/variations"
    form = req.form()
    assert set(form) == {"image", "model", "n", "size", "response_format"}
    assert form["size"].text == "256x256" and form["n"].text == "1"
    image = form["image"].image()
    assert image.size == (256, 256) and image.format == "PNG"
    assert result.png.startswith(b"\x89PNG") and (result.width, result.height) == (256, 256)


def test_non_square_source_is_padded_for_dall_e_2_and_cropped_back(peer: Peer) -> None:
    def reply(req: Recorded) -> Reply:
        # Where the source sat (found from the mask's opaque margin): red; the margin: blue.
        side = int(req.form()["size"].text.split("x")[0])
        img = Image.new("RGB", (side, side), (20, 20, 220))
        img.paste((220, 20, 20), (0, 85, 512, 427))
        return answer_with(img)

    peer.responder = reply
    result = edit(
        peer, operation="inpaint", source_png=source((300, 200)),
        mask_png=rect_mask((300, 200), (30, 20, 90, 80)), width=300, height=200,
    )  # fmt: skip
    form = peer.requests[0].form()
    assert form["size"].text == "512x512"  # the smallest DALL·E 2 square that holds 300 px
    alpha = np.asarray(form["mask"].image().getchannel("A"))
    assert alpha.shape == (512, 512)
    # 300x200 scaled by 512/300 is 512x341, centred: rows 85..426. Painted (30..90, 20..80)
    # lands at about x 51..154, y 119..222; the margin stays opaque.
    assert (alpha[:85] == 255).all() and (alpha[427:] == 255).all()
    assert (alpha[125:215, 60:145] == 0).all()
    assert (alpha == 0).sum() == pytest.approx(60 * 60 * (512 / 300) ** 2, rel=0.1)
    out = np.asarray(Image.open(io.BytesIO(result.png)).convert("RGB"), np.int16)
    assert out.shape == (200, 300, 3)
    assert out[..., 0].mean() > 200 and out[..., 2].mean() < 40  # only the source's box


def test_gpt_image_1_image_to_image_has_no_mask(peer: Peer) -> None:
    peer.responder = answer_in_kind
    result = edit(
        peer, model_id="gpt-image-1", operation="image-to-image", prompt="as a watercolour",
        source_png=source((600, 400)), strength=0.3, width=600, height=400,
    )  # fmt: skip
    form = peer.requests[0].form()
    assert peer.requests[0].path == "/v1/images/edits"
    assert "mask" not in form and "response_format" not in form
    assert form["size"].text == "1536x1024"  # the model's size closest to 3:2
    assert form["input_fidelity"].text == "high"  # subtle: stay close to the source
    assert form["quality"].text == "auto" and form["prompt"].text == "as a watercolour"
    assert form["image"].image().size == (1536, 1024)
    assert (result.width, result.height) == (600, 400)


def test_gpt_image_1_outpaint_marks_the_border(peer: Peer) -> None:
    peer.responder = answer_in_kind
    mask = Image.new("L", (1024, 1024), 255)
    mask.paste(0, (256, 256, 768, 768))
    edit(
        peer, model_id="gpt-image-1", operation="outpaint", prompt="more forest",
        source_png=source((1024, 1024)), mask_png=png_of(mask), width=1024, height=1024,
    )  # fmt: skip
    alpha = np.asarray(peer.requests[0].form()["mask"].image().getchannel("A"))
    assert (alpha[256:768, 256:768] == 255).all()
    assert (alpha == 0).sum() == 1024 * 1024 - 512 * 512


def test_even_a_noisy_1024_image_stays_under_dall_e_2s_4_mb(peer: Peer) -> None:
    peer.responder = answer_in_kind
    noise = np.random.default_rng(0).integers(0, 256, (1024, 1024, 3), dtype=np.uint8)
    noisy = png_of(Image.fromarray(noise, "RGB"))
    result = edit(
        peer, operation="inpaint", source_png=noisy,
        mask_png=rect_mask((1024, 1024), (0, 0, 100, 100)), width=1024, height=1024,
    )  # fmt: skip
    form = peer.requests[0].form()
    assert form["size"].text == "1024x1024"
    assert form["image"].image().size == (1024, 1024)
    assert 3 * 1024 * 1024 < len(form["image"].data) < 4 * 1024 * 1024
    assert 3 * 1024 * 1024 < len(form["mask"].data) < 4 * 1024 * 1024
    assert (result.width, result.height) == (1024, 1024)


@pytest.mark.parametrize(
    ("status", "code", "kind"),
    [
        (400, "content_policy_violation", ModerationRefused),
        (429, "rate_limit_exceeded", RateLimited),
    ],
)
def test_edit_errors_are_mapped(peer: Peer, status: int, code: str, kind: type) -> None:
    peer.reply(Reply.json({"error": {"message": "no", "code": code}}, status=status))
    with pytest.raises(kind):
        edit(
            peer, operation="inpaint", source_png=source((256, 256)),
            mask_png=rect_mask((256, 256), (0, 0, 10, 10)), width=256, height=256,
        )  # fmt: skip
    assert len(peer.requests) == 1


@pytest.mark.parametrize(
    ("kw", "match"),
    [
        ({"model_id": "dall-e-3", "operation": "inpaint"}, "cannot do inpaint"),
        ({"operation": "image-to-image"}, "cannot do image-to-image"),  # not on DALL·E 2
        ({"operation": "inpaint", "prompt": ""}, "needs a prompt"),
    ],
)
def test_what_openai_cannot_do_never_reaches_it(peer: Peer, kw: dict[str, Any], match: str) -> None:
    values = {
        "source_png": source((256, 256)),
        "mask_png": rect_mask((256, 256), (0, 0, 10, 10)),
        "width": 256,
        "height": 256,
    }
    with pytest.raises(InvalidRequest, match=match):
        edit(peer, **(values | kw))
    assert peer.requests == []
