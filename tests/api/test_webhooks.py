"""Webhooks for API users (issue 15), on SQLite and PostgreSQL, with a real HTTP receiver on
loopback (WEBHOOKS_ALLOW_PRIVATE is on for these tests, as the issue says; the refusal of
private targets is tested with a resolver that maps names to 10.x, 169.254.x and 127.x).

- the routes: register (secret shown once), list, read, delete, the delivery log; user B
  and visitors; read-only tokens;
- job.succeeded from a real job run, job.failed from a failed job, payment.succeeded from a
  credited Stripe event: each a signed POST the receiver verifies;
- retries with backoff (500, then 200), giving up after the last attempt;
- the address check on every delivery, and the connection pinned to the checked address.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from pixel_studio import events
from pixel_studio.models import JobStatus, WebhookDelivery
from pixel_studio.services.accounts import api_tokens
from pixel_studio.services.billing import payments
from pixel_studio.services.integrations import webhook_delivery as wd
from pixel_studio.services.integrations import webhook_queue, webhooks
from pixel_studio.services.studio import generation
from pixel_studio.services.studio.job_state import close_job
from pixel_studio.services.studio.jobs import run_job
from pixel_studio.settings import Settings
from tests.api.rest_helpers import api_client, assert_error, bearer, make_world
from tests.payments.stripe_peer import checkout_event
from tests.payments.test_webhook import checkout


@dataclass
class Receiver:
    """An HTTP server on 127.0.0.1 answering each POST with the next status of `statuses`
    (the last one repeats), recording every request."""

    statuses: list[int] = field(default_factory=lambda: [200])
    got: list[tuple[float, dict[str, str], bytes]] = field(default_factory=list)
    port: int = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hook"

    def wait_for(self, n: int, timeout: float = 15.0) -> None:
        deadline = time.monotonic() + timeout
        while len(self.got) < n and time.monotonic() < deadline:
            time.sleep(0.02)
        assert len(self.got) >= n, f"received {len(self.got)} of {n}"


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    rec = Receiver()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - http.server's name
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            index = min(len(rec.got), len(rec.statuses) - 1)
            rec.got.append((time.monotonic(), dict(self.headers.items()), body))
            self.send_response(rec.statuses[index])
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    rec.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield rec
    server.shutdown()
    server.server_close()


@pytest.fixture
def hook_settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Settings]:
    made = Settings(  # type: ignore[call-arg]
        _env_file=None,
        data_dir=tmp_path,
        secret_key="test-secret",
        webhooks_allow_private=True,  # the receiver is on loopback
        webhook_retry_base_seconds=0.3,
        webhook_max_attempts=3,
        stripe_secret_key="sk_test_x",
        stripe_webhook_secret="whsec_stripe",
    )
    # The in-process runner (no broker here) reads the process's settings: these.
    monkeypatch.setattr(webhook_queue, "get_settings", lambda: made)
    monkeypatch.setattr(events, "publish", lambda event, settings=None: None)
    monkeypatch.setattr(generation, "enqueue_job", lambda job_id, settings=None: None)
    yield made
    webhook_queue.shutdown(wait=True)


@pytest.fixture
def client(db: Engine, hook_settings: Settings) -> Iterator[TestClient]:
    from pixel_studio.cache import MemoryCache

    with api_client(db, hook_settings, MemoryCache()) as c:
        yield c


def register(client: TestClient, token: str, url: str, **extra: Any) -> dict[str, Any]:
    r = client.post("/api/v1/webhooks", headers=bearer(token), json={"url": url, **extra})
    assert r.status_code == 201, r.text
    return dict(r.json())


def deliveries(client: TestClient, token: str) -> list[dict[str, Any]]:
    r = client.get("/api/v1/webhook-deliveries", headers=bearer(token))
    assert r.status_code == 200, r.text
    return list(r.json()["items"])


def wait_settled(client: TestClient, token: str, n: int, timeout: float = 15.0) -> list[Any]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        items = deliveries(client, token)
        if len(items) >= n and all(d["status"] != "pending" for d in items):
            return items
        time.sleep(0.05)
    raise AssertionError(f"deliveries not settled: {deliveries(client, token)}")


def test_routes_for_the_owner_user_b_and_a_visitor(
    client: TestClient, db: Engine, hook_settings: Settings
) -> None:
    w = make_world(db, hook_settings)
    made = register(client, w.alice_token, "http://127.0.0.1:9/hook", events=["job.failed"])
    assert made["secret"].startswith("whsec_") and made["events"] == ["job.failed"]
    listed = client.get("/api/v1/webhooks", headers=bearer(w.alice_token)).json()["items"]
    assert [h["id"] for h in listed] == [made["id"]] and "secret" not in listed[0]
    one = client.get(f"/api/v1/webhooks/{made['id']}", headers=bearer(w.alice_token))
    assert one.json()["url"] == "http://127.0.0.1:9/hook"

    b = bearer(w.bob_token)
    assert client.get("/api/v1/webhooks", headers=b).json()["items"] == []
    assert_error(client.get(f"/api/v1/webhooks/{made['id']}", headers=b), 404)
    assert_error(client.delete(f"/api/v1/webhooks/{made['id']}", headers=b), 404)
    r = client.get("/api/v1/webhook-deliveries", headers=b, params={"webhook_id": made["id"]})
    assert_error(r, 404)
    for r in (
        client.get("/api/v1/webhooks"),
        client.post("/api/v1/webhooks", json={"url": "http://127.0.0.1:9/"}),
        client.delete(f"/api/v1/webhooks/{made['id']}"),
        client.get("/api/v1/webhook-deliveries"),
    ):
        assert_error(r, 401)
    with Session(db, expire_on_commit=False) as s:
        reader = api_tokens.create_token(s, w.alice, "ro", scope="read").secret
    r = client.post("/api/v1/webhooks", headers=bearer(reader), json={"url": "http://127.0.0.1/"})
    assert_error(r, 403, "read_only_token")

    a = bearer(w.alice_token)
    for url in ("ftp://127.0.0.1/x", "http://user:pw@127.0.0.1/", "http:///nohost", "x"):
        err = assert_error(client.post("/api/v1/webhooks", headers=a, json={"url": url}), 400)
        assert err["field"] == "url"
    r = client.post(
        "/api/v1/webhooks", headers=a, json={"url": "http://127.0.0.1/", "events": ["x"]}
    )
    assert_error(r, 422)
    assert client.delete(f"/api/v1/webhooks/{made['id']}", headers=a).status_code == 204
    assert client.get("/api/v1/webhooks", headers=a).json()["items"] == []


def test_loopback_is_refused_unless_allowed(
    client: TestClient, db: Engine, hook_settings: Settings
) -> None:
    w = make_world(db, hook_settings)
    hook_settings.webhooks_allow_private = False
    r = client.post(
        "/api/v1/webhooks", headers=bearer(w.alice_token), json={"url": "http://127.0.0.1:9/"}
    )
    err = assert_error(r, 400, "invalid_input")
    assert err["field"] == "url" and "loopback" in err["message"]


def test_job_succeeded_arrives_signed(
    client: TestClient, db: Engine, hook_settings: Settings, receiver: Receiver
) -> None:
    w = make_world(db, hook_settings)
    made = register(client, w.alice_token, receiver.url)
    register(client, w.bob_token, receiver.url)  # bob's endpoint hears nothing of alice's
    body = {"model": "local-sketch", "prompt": "a lighthouse", "size": "256x256", "count": 2}
    job = client.post("/api/v1/generations", headers=bearer(w.alice_token), json=body).json()
    run_job(job["id"], engine=db, settings=hook_settings, publish=lambda e: None)

    receiver.wait_for(1)
    _at, headers, raw = receiver.got[0]
    assert wd.verify_signature(made["secret"], raw, headers["Pixel-Studio-Signature"])
    assert not wd.verify_signature(made["secret"], raw + b" ", headers["Pixel-Studio-Signature"])
    assert not wd.verify_signature("whsec_wrong", raw, headers["Pixel-Studio-Signature"])
    stale = time.time() + wd.TOLERANCE_SECONDS + 5
    assert not wd.verify_signature(
        made["secret"], raw, headers["Pixel-Studio-Signature"], now=stale
    )
    event = json.loads(raw)
    assert headers["Pixel-Studio-Event"] == event["type"] == "job.succeeded"
    assert headers["Pixel-Studio-Delivery"] == event["id"]
    assert event["data"]["job_id"] == job["id"] and len(event["data"]["image_ids"]) == 2

    [logged] = wait_settled(client, w.alice_token, 1)
    assert (logged["status"], logged["attempts"], logged["last_status_code"]) == (
        "succeeded",
        1,
        200,
    )
    assert logged["event_id"] == event["id"] and logged["delivered_at"]
    assert deliveries(client, w.bob_token) == []
    time.sleep(0.2)
    assert len(receiver.got) == 1  # once, and to alice's endpoint only


def test_a_failed_job_is_retried_with_backoff_until_the_receiver_accepts(
    client: TestClient, db: Engine, hook_settings: Settings, receiver: Receiver
) -> None:
    receiver.statuses = [500, 200]
    w = make_world(db, hook_settings)
    made = register(client, w.alice_token, receiver.url, events=["job.failed"])
    body = {"model": "local-sketch", "prompt": "a lighthouse", "size": "256x256"}
    job = client.post("/api/v1/generations", headers=bearer(w.alice_token), json=body).json()
    with Session(db) as s:
        close_job(s, job["id"], JobStatus.failed, error="The provider is down.")
        s.commit()

    receiver.wait_for(2)
    (first, _, raw1), (second, headers, raw2) = receiver.got[:2]
    assert raw1 == raw2  # the same body (and event id) on every attempt
    assert second - first >= hook_settings.webhook_retry_base_seconds * 0.9
    assert wd.verify_signature(made["secret"], raw2, headers["Pixel-Studio-Signature"])
    data = json.loads(raw2)["data"]
    assert (data["status"], data["error"], data["credits_refunded"]) == (
        "failed",
        "The provider is down.",
        1,
    )
    [logged] = wait_settled(client, w.alice_token, 1)
    assert (logged["status"], logged["attempts"], logged["last_status_code"]) == (
        "succeeded",
        2,
        200,
    )
    assert logged["last_error"] is None


def test_it_gives_up_after_the_last_attempt(
    client: TestClient, db: Engine, hook_settings: Settings, receiver: Receiver
) -> None:
    receiver.statuses = [500]
    w = make_world(db, hook_settings)
    register(client, w.alice_token, receiver.url)
    with Session(db) as s:
        webhooks.record(s, w.alice, webhooks.WebhookEvent.job_failed, {"job_id": "x"})
        s.commit()
    [logged] = wait_settled(client, w.alice_token, 1)
    assert (logged["status"], logged["attempts"], logged["last_error"]) == ("failed", 3, "HTTP 500")
    assert len(receiver.got) == 3 and logged["next_attempt_at"] is None


def test_payment_succeeded(
    client: TestClient, db: Engine, hook_settings: Settings, receiver: Receiver
) -> None:
    w = make_world(db, hook_settings)
    made = register(client, w.alice_token, receiver.url, events=["payment.succeeded"])
    with Session(db) as s:
        raw = checkout_event("evt_hook_1", checkout(w.alice))
        applied = payments.apply_event(s, json.loads(raw), hook_settings)
        s.commit()
    assert applied.outcome == payments.Outcome.credited
    receiver.wait_for(1)
    _at, headers, body = receiver.got[0]
    assert wd.verify_signature(made["secret"], body, headers["Pixel-Studio-Signature"])
    event = json.loads(body)
    assert event["type"] == "payment.succeeded"
    assert (event["data"]["credits"], event["data"]["balance"]) == (50, 55)


def test_a_rolled_back_change_sends_nothing(
    db: Engine, hook_settings: Settings, receiver: Receiver
) -> None:
    w = make_world(db, hook_settings)
    with Session(db) as s:
        webhooks.create_webhook(s, hook_settings, w.alice, {"url": receiver.url})
        webhooks.record(s, w.alice, webhooks.WebhookEvent.job_failed, {"job_id": "y"})
        s.rollback()
    time.sleep(0.3)
    assert receiver.got == []
    with Session(db) as s:
        assert s.exec(select(WebhookDelivery)).all() == []


def fake_dns(table: dict[str, list[str]]) -> wd.Resolver:
    return lambda host, port: table[host]


DNS = {
    "internal.test": ["10.1.2.3"],
    "metadata.test": ["169.254.169.254"],
    "loop.test": ["127.0.0.1"],
    "mapped.test": ["::ffff:10.0.0.1"],
    "six.test": ["::1"],
    "mixed.test": ["93.184.216.34", "10.0.0.7"],  # one inside address is enough to refuse
    "public.test": ["93.184.216.34"],
}


@pytest.mark.parametrize(
    "host", ["internal.test", "metadata.test", "loop.test", "mapped.test", "six.test", "mixed.test"]
)
def test_private_targets_are_refused_after_resolution(host: str, settings: Settings) -> None:
    with pytest.raises(wd.TargetRefused) as refused:
        wd.resolve_target(f"https://{host}/hook", settings, fake_dns(DNS))
    assert refused.value.field == "url" and "must be public" in refused.value.message


def test_the_connection_goes_to_the_checked_address(settings: Settings) -> None:
    target = wd.resolve_target("https://public.test:8443/in?x=1", settings, fake_dns(DNS))
    assert target.url == "https://93.184.216.34:8443/in?x=1"
    assert (target.host, target.sni) == ("public.test:8443", "public.test")


def test_every_delivery_checks_the_address_again(
    db: Engine, hook_settings: Settings, receiver: Receiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Registered while the name was fine; at delivery it resolves to 10.x (a DNS rebinding):
    refused, nothing is connected to, and the log says why. With the name on loopback and
    private targets allowed, the POST goes to the resolved address with the name as Host."""
    queued: list[int] = []
    monkeypatch.setattr(webhook_queue, "dispatch", lambda ids, engine=None: queued.extend(ids))
    w = make_world(db, hook_settings)
    with Session(db) as s:
        hook = webhooks.create_webhook(
            s,
            hook_settings,
            w.alice,
            {"url": f"http://hooks.test:{receiver.port}/hook"},
            check_target=lambda url, settings: None,
        )
        webhooks.record(s, w.alice, webhooks.WebhookEvent.job_failed, {"job_id": "z"})
        s.commit()
    [delivery_id] = queued
    hook_settings.webhooks_allow_private = False
    rebound = fake_dns({"hooks.test": ["10.9.9.9"]})
    outcome = wd.run_delivery(delivery_id, engine=db, settings=hook_settings, resolve=rebound)
    assert outcome is not None and outcome.status == "failed" and outcome.retry_in is None
    assert outcome.error is not None and "private address" in outcome.error
    assert receiver.got == []

    hook_settings.webhooks_allow_private = True
    with Session(db) as s:
        webhooks.record(s, w.alice, webhooks.WebhookEvent.job_failed, {"job_id": "z2"})
        s.commit()
    pinned = fake_dns({"hooks.test": ["127.0.0.1"]})
    outcome = wd.run_delivery(queued[1], engine=db, settings=hook_settings, resolve=pinned)
    assert outcome is not None and outcome.status == "succeeded"
    assert receiver.got[0][1]["Host"] == f"hooks.test:{receiver.port}"
    # A second run of a finished delivery (a duplicate task) sends nothing.
    assert wd.run_delivery(queued[1], engine=db, settings=hook_settings, resolve=pinned) is None
    assert len(receiver.got) == 1 and hook.secret.startswith("whsec_")
