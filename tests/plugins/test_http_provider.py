"""The example HTTP model plugin (examples/http_provider), installed as a package: found by
its entry point, unavailable until HTTP_MODEL_URL is set, and a job through it lands (on
SQLite and PostgreSQL) against a small model server on loopback."""

from __future__ import annotations

import io
import os
from collections.abc import Iterator
from typing import Any

import pytest
from PIL import Image
from sqlalchemy.engine import Engine
from sqlmodel import Session

from pixel_studio.catalog import availability, get_model
from pixel_studio.plugins import discovery
from pixel_studio.providers import (
    EditingProvider,
    EditRequest,
    ImageRequest,
    InvalidRequest,
    NotConfigured,
    ProviderUnavailable,
    get_provider,
)
from pixel_studio.services.studio import generation
from pixel_studio.services.studio.jobs import run_job
from pixel_studio.settings import Settings
from pixel_studio.storage.local import LocalStorage
from tests.plugins.http_model_server import ModelServer, colour_for, serve
from tests.services.generation_helpers import (
    Events,
    balance,
    fresh_job,
    images_of,
    make_user,
    submit_job,
)


def _require_example() -> None:
    try:
        import pixel_studio_http_provider  # noqa: F401
    except ImportError:
        # make test installs it (Makefile: the test-deps step): missing there is a failure.
        if os.environ.get("PIXEL_STUDIO_REQUIRE_DIFFUSERS") == "1":
            raise
        pytest.skip("examples/http_provider is not installed (pip install -e examples/...)")


@pytest.fixture(autouse=True)
def _installed(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    _require_example()
    monkeypatch.delenv("HTTP_MODEL_URL", raising=False)
    discovery.reset()  # the real entry points of this environment
    yield
    discovery.reset()


@pytest.fixture
def model_server(monkeypatch: pytest.MonkeyPatch) -> Iterator[ModelServer]:
    with serve() as server:
        monkeypatch.setenv("HTTP_MODEL_URL", server.url)
        yield server


def _record() -> Any:
    return next(r for r in discovery.all_records() if r.name == "http-model")


def test_found_by_its_entry_point_and_unavailable_until_configured(settings: Settings) -> None:
    record = _record()
    assert (record.group, record.source, record.status) == (
        "pixel_studio.providers",
        "pixel-studio-http-provider 0.1.0",
        "loaded",
    )
    spec = get_model("http-model")
    assert (spec.price_of("text"), spec.price_of("image-to-image")) == (1, 2)
    assert availability(spec, settings) == (
        False,
        "Needs the address of the process that serves it (set HTTP_MODEL_URL).",
    )
    with pytest.raises(NotConfigured, match="HTTP_MODEL_URL"):
        get_provider("http-model", settings)
    with pytest.raises(generation.RequestErrors) as refused:
        generation.validate_request(
            {"model": "http-model", "prompt": "fox", "size": "256x256"}, settings
        )
    assert "HTTP_MODEL_URL" in refused.value.errors["model"]


def test_a_job_through_the_http_model_lands(
    db: Engine,
    session: Session,
    settings: Settings,
    model_server: ModelServer,
) -> None:
    storage = LocalStorage(settings)
    uid = make_user(session, "alice", 5)
    job = submit_job(session, uid, settings, model="http-model", count=2, seed=7)
    events = Events()
    run_job(job.id, engine=db, settings=settings, storage=storage, publish=events)

    done = fresh_job(session, job.id)
    assert (done.status, done.done) == ("succeeded", 2)
    assert events.trail() == [("running", 0), ("running", 1), ("succeeded", 2)]
    assert [(path, body["seed"]) for path, body in model_server.requests] == [
        ("/generate", 7),
        ("/generate", 8),
    ]
    assert model_server.requests[0][1]["prompt"] == "a red fox in a forest"
    for image in images_of(session, job.id):
        assert (image.model, image.width, image.height) == ("http-model", 256, 256)
        with Image.open(io.BytesIO(storage.get(image.original_key))) as stored:
            assert stored.convert("RGB").getpixel((5, 5)) == colour_for(image.seed or 0)
    assert balance(session, uid) == 5 - 2 * 1


def test_an_edit_goes_to_the_edit_endpoint(settings: Settings, model_server: ModelServer) -> None:
    provider = get_provider("http-model", settings)
    assert isinstance(provider, EditingProvider)
    buf = io.BytesIO()
    Image.new("RGB", (256, 256), (10, 20, 30)).save(buf, format="PNG")
    request = EditRequest(
        model_id="http-model",
        operation="image-to-image",
        source_png=buf.getvalue(),
        prompt="at night",
        width=256,
        height=256,
        strength=0.5,
        seed=3,
    )
    result = provider.edit(request)
    with Image.open(io.BytesIO(result.png)) as out:
        assert out.convert("RGB").getpixel((0, 0)) == (245, 235, 225)
    path, body = model_server.requests[0]
    assert (path, body["operation"], body["strength"], body["seed"]) == (
        "/edit",
        "image-to-image",
        0.5,
        3,
    )
    with pytest.raises(InvalidRequest, match="cannot do upscale"):
        provider.edit(request.model_copy(update={"operation": "upscale", "factor": 2}))


def test_the_model_servers_errors_become_typed_provider_errors(
    settings: Settings, model_server: ModelServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    provider = get_provider("http-model", settings)
    request = ImageRequest(model_id="http-model", prompt="fox", width=256, height=256, seed=1)
    model_server.fail_with = (400, "prompt too long for this model")
    with pytest.raises(InvalidRequest, match="refused: prompt too long") as refused:
        provider.generate(request)
    assert not refused.value.transient
    model_server.fail_with = (503, "loading")
    with pytest.raises(ProviderUnavailable) as busy:
        provider.generate(request)
    assert busy.value.transient
    model_server.fail_with = None
    with pytest.raises(InvalidRequest, match="cannot make 1024x1024"):
        provider.generate(request.model_copy(update={"width": 1024, "height": 1024}))
    monkeypatch.setenv("HTTP_MODEL_URL", "http://127.0.0.1:9")  # the discard port: refused
    with pytest.raises(ProviderUnavailable, match="did not answer") as down:
        get_provider("http-model", settings).generate(request)
    assert down.value.transient
