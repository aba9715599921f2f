"""In-process metrics: route templates (never raw paths), the token guard, cache hit/miss.
Multi-process aggregation with a real worker: tests/ops/test_worker_observability.py."""

from __future__ import annotations

from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families
from pydantic import TypeAdapter

from pixel_studio import metrics
from pixel_studio.api import create_api
from pixel_studio.cache import MemoryCache
from pixel_studio.services.cached import get_or_load
from pixel_studio.settings import Settings, get_settings


def sample(text: str, name: str, **labels: str) -> float:
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            if s.name == name and s.labels == labels:
                return float(s.value)
    return 0.0


def client(settings: Settings) -> TestClient:
    api = create_api()
    api.dependency_overrides[get_settings] = lambda: settings
    return TestClient(api)


def test_requests_are_labelled_by_route_template_not_raw_path(settings: Settings) -> None:
    c = client(settings)
    before = c.get("/metrics").text
    route = "/api/v1/generations/{job_id}"  # a route of an included router, with a prefix
    assert c.get("/api/v1/generations/987654321").status_code == 401  # no token
    c.get("/no/such/page-4242")
    after = c.get("/metrics")
    assert after.headers["content-type"].startswith("text/plain")
    text = after.text
    # No raw path, no ids in any label (a sample's value may hold those digits by chance).
    labels = [line.partition(" ")[0] for line in text.splitlines() if not line.startswith("#")]
    assert not [label for label in labels if "987654321" in label or "4242" in label]
    assert (
        sample(
            text, "pixel_studio_http_requests_total", method="GET", route="unmatched", status="404"
        )
        >= 1
    )
    labels = {"method": "GET", "route": route, "status": "401"}
    assert sample(text, "pixel_studio_http_requests_total", **labels) == (
        sample(before, "pixel_studio_http_requests_total", **labels) + 1
    )
    assert (
        sample(text, "pixel_studio_http_request_duration_seconds_count", method="GET", route=route)
        >= 1
    )


def test_metrics_token_guards_the_route(settings: Settings) -> None:
    c = client(settings.model_copy(update={"metrics_token": "s3cret"}))
    assert c.get("/metrics").status_code == 401
    assert c.get("/metrics", headers={"Authorization": "Bearer wrong"}).status_code == 401
    ok = c.get("/metrics", headers={"Authorization": "Bearer s3cret"})
    assert ok.status_code == 200 and "pixel_studio_jobs_total" in ok.text


def test_cache_lookups_count_hits_and_misses() -> None:
    def lookups(result: str) -> float:
        return sample(
            metrics.render()[0].decode(), "pixel_studio_cache_lookups_total", result=result
        )

    hits, misses = lookups("hit"), lookups("miss")
    cache, adapter = MemoryCache(), TypeAdapter(int)
    assert get_or_load(cache, "answer", ["scope"], 60, lambda: 42, adapter) == 42
    assert get_or_load(cache, "answer", ["scope"], 60, lambda: 0, adapter) == 42
    assert (lookups("hit"), lookups("miss")) == (hits + 1, misses + 1)


def test_every_named_metric_is_exposed(settings: Settings) -> None:
    text = client(settings).get("/metrics").text
    for name in (
        "pixel_studio_http_requests_total",
        "pixel_studio_http_request_duration_seconds_bucket",
        "pixel_studio_jobs_total",
        "pixel_studio_job_duration_seconds",
        "pixel_studio_provider_errors_total",
        "pixel_studio_cache_lookups_total",
        "pixel_studio_queue_depth",
        "pixel_studio_tabs_registered",
    ):
        assert name in text, name
