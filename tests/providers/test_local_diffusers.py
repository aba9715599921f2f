"""The local diffusers provider on a tiny random-weight Stable Diffusion pipeline.

No weights are downloaded: the test builds a pipeline from small configs (tiny UNet, VAE, CLIP
text encoder and a byte-level tokenizer, the way diffusers' own tests build "dummy
components"), saves it with save_pretrained, and points the provider at that folder. The
pictures are noise, but every code path is the real one. Where the optional torch /
diffusers / transformers packages are missing these tests skip, saying so in the summary, except
under `make test`, which installs them and sets PIXEL_STUDIO_REQUIRE_DIFFUSERS=1: there a
missing package is a failure, never a quiet skip.
"""

from __future__ import annotations

import importlib
import io
import os
import re
import sys
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from pixel_studio.providers import get_provider
from pixel_studio.providers.base import PNG_SIGNATURE, ImageRequest
from pixel_studio.providers.errors import NotConfigured
from pixel_studio.providers.local_diffusers import LocalDiffusersProvider
from pixel_studio.settings import Settings

REQUIRE_ENV = "PIXEL_STUDIO_REQUIRE_DIFFUSERS"


def diffusers_stack() -> tuple[Any, Any, Any]:
    """torch, diffusers and transformers; if one is missing, fail when REQUIRE_ENV=1, else
    skip with the reason and the way to run these tests."""
    modules, missing = [], []
    for name in ("torch", "diffusers", "transformers"):
        try:
            modules.append(importlib.import_module(name))
        except ImportError:
            missing.append(name)
    if missing:
        why = f"the optional diffusers extra is not installed (no {', '.join(missing)})"
        if os.environ.get(REQUIRE_ENV) == "1":
            pytest.fail(f"{why}, and {REQUIRE_ENV}=1 requires it", pytrace=False)
        pytest.skip(f"{why}: pip install -e '.[diffusers]' or `make test` runs these tests")
    torch, diffusers, transformers = modules
    return torch, diffusers, transformers


def _byte_level_chars() -> list[str]:
    """The 256 printable stand-ins CLIP's byte-level BPE uses for raw bytes (as in GPT-2)."""
    keep = [*range(ord("!"), ord("~") + 1), *range(ord("¡"), ord("¬") + 1)]
    keep += range(ord("®"), ord("ÿ") + 1)
    chars, extra = list(keep), 0
    for b in range(256):
        if b not in keep:
            chars.append(256 + extra)
            extra += 1
    return [chr(c) for c in chars]


def build_tiny_pipeline(folder: Path) -> None:
    torch, diffusers, transformers = diffusers_stack()
    torch.manual_seed(0)
    vocab: dict[str, int] = {"<|startoftext|>": 0, "<|endoftext|>": 1}
    for suffix in ("", "</w>"):
        for ch in _byte_level_chars():
            vocab.setdefault(ch + suffix, len(vocab))
    tokenizer = transformers.CLIPTokenizer(vocab=vocab, merges=[], model_max_length=77)
    text_encoder = transformers.CLIPTextModel(
        transformers.CLIPTextConfig(
            bos_token_id=0, eos_token_id=1, pad_token_id=1, hidden_size=32,
            intermediate_size=37, num_attention_heads=4, num_hidden_layers=2,
            vocab_size=len(vocab), max_position_embeddings=77,
        )
    )  # fmt: skip
    unet = diffusers.UNet2DConditionModel(
        block_out_channels=(4, 8), layers_per_block=1, sample_size=32, in_channels=4,
        out_channels=4, down_block_types=("DownBlock2D", "CrossAttnDownBlock2D"),
        up_block_types=("CrossAttnUpBlock2D", "UpBlock2D"), cross_attention_dim=32,
        norm_num_groups=2,
    )  # fmt: skip
    # Three VAE blocks (4× down-scaling rather than the 2× of diffusers' dummy) keep the UNet's
    # self-attention small at 256²: a 10-step image then takes about 0.4 s on a CPU.
    vae = diffusers.AutoencoderKL(
        block_out_channels=[4, 8, 8], in_channels=3, out_channels=3, latent_channels=4,
        down_block_types=["DownEncoderBlock2D"] * 3, up_block_types=["UpDecoderBlock2D"] * 3,
        norm_num_groups=2,
    )  # fmt: skip
    scheduler = diffusers.DDIMScheduler(
        beta_start=0.00085, beta_end=0.012, beta_schedule="scaled_linear",
        clip_sample=False, set_alpha_to_one=False,
    )  # fmt: skip
    pipe = diffusers.StableDiffusionPipeline(
        vae=vae, text_encoder=text_encoder, tokenizer=tokenizer, unet=unet, scheduler=scheduler,
        safety_checker=None, feature_extractor=None, requires_safety_checker=False,
    )  # fmt: skip
    pipe.save_pretrained(folder)


def request(**kw: Any) -> ImageRequest:
    values: dict[str, Any] = {
        "model_id": "local-diffusers",
        "prompt": "a red fox",
        "width": 256,
        "height": 256,
        "steps": 10,
    }
    return ImageRequest(**(values | kw))


def test_generates_the_requested_size_with_progress(model_dir: Path) -> None:
    settings = Settings(_env_file=None, local_diffusers_model_dir=str(model_dir))  # type: ignore[call-arg]
    provider = get_provider("local-diffusers", settings)
    steps: list[tuple[int, int]] = []
    img = provider.generate(
        request(seed=3, negative_prompt="blurry", guidance=6.0),
        on_step=lambda s, t: steps.append((s, t)),
    )
    assert img.png.startswith(PNG_SIGNATURE)
    with Image.open(io.BytesIO(img.png)) as decoded:
        assert decoded.size == (256, 256)
    assert (img.width, img.height, img.seed) == (256, 256, 3)
    assert steps == [(i, 10) for i in range(1, 11)]
    assert img.metadata["steps"] == 10 and img.metadata["guidance_scale"] == 6.0


def test_same_seed_same_picture(model_dir: Path) -> None:
    provider = LocalDiffusersProvider(str(model_dir))
    a = provider.generate(request(seed=11))
    b = provider.generate(request(seed=11))
    c = provider.generate(request(seed=12))
    assert a.png == b.png
    assert a.png != c.png


def test_missing_folder_is_not_configured(tmp_path: Path) -> None:
    diffusers_stack()
    with pytest.raises(NotConfigured, match="does not exist") as caught:
        LocalDiffusersProvider(str(tmp_path / "missing")).generate(request())
    assert caught.value.transient is False


def test_missing_packages_are_not_configured(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Runs everywhere: a None entry in sys.modules makes the import fail as if not installed.
    monkeypatch.setitem(sys.modules, "diffusers", None)
    with pytest.raises(NotConfigured, match="optional torch, diffusers"):
        LocalDiffusersProvider(str(tmp_path)).generate(request())


def test_a_missing_extra_fails_under_make_test_and_skips_visibly_otherwise(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(sys.modules, "diffusers", None)  # as if not installed
    monkeypatch.setenv(REQUIRE_ENV, "1")
    required = re.escape(f"(no diffusers), and {REQUIRE_ENV}=1")
    with pytest.raises(pytest.fail.Exception, match=required):
        diffusers_stack()
    monkeypatch.delenv(REQUIRE_ENV)
    with pytest.raises(pytest.skip.Exception, match=r"not installed \(no diffusers\).*make test"):
        diffusers_stack()


def test_make_test_requires_the_extra() -> None:
    makefile = (Path(__file__).resolve().parents[2] / "Makefile").read_text()
    recipe = makefile.split("\ntest:", 1)[1].split("\n\n", 1)[0]
    assert f"{REQUIRE_ENV}=1" in recipe and "pytest" in recipe
