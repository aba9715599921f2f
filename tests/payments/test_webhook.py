"""`POST /api/stripe/webhook` with payloads signed in the test exactly as Stripe signs them,
on SQLite and PostgreSQL: credited once, replays and forgeries change nothing."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from pixel_studio import events
from pixel_studio.api import create_api
from pixel_studio.api.deps import db_session
from pixel_studio.models import CreditTransaction, StripeEvent, User
from pixel_studio.services import credits, users
from pixel_studio.services.billing import payments
from pixel_studio.settings import Settings, get_settings
from tests.payments.stripe_peer import checkout_event, sign

SECRET = "whsec_test_secret"
URL = "/api/stripe/webhook"


@pytest.fixture
def shop(tmp_path: Path) -> Settings:
    return Settings(  # type: ignore[call-arg]
        _env_file=None,
        data_dir=tmp_path,
        secret_key="test-secret",
        stripe_secret_key="sk_test_x",
        stripe_webhook_secret=SECRET,
    )


@pytest.fixture
def client(db: Engine, shop: Settings) -> Iterator[TestClient]:
    def session_override() -> Iterator[Session]:
        with Session(db, expire_on_commit=False) as s:
            yield s
            s.commit()

    api = create_api()
    api.dependency_overrides[get_settings] = lambda: shop
    api.dependency_overrides[db_session] = session_override
    events.drain_local()
    with TestClient(api) as c:
        yield c
    events.drain_local()


def buyer(db: Engine) -> int:
    with Session(db) as s:
        user = users.create_user(s, "buyer", "buyer@example.com", "longenough", bonus=5)
        s.commit()
        return user.id or 0


def checkout(user_id: int, sid: str = "cs_test_1", credits: int = 50) -> dict[str, Any]:
    """A paid session of the "small" pack, as create_checkout made it (what Stripe echoes)."""
    meta = {"user_id": str(user_id), "pack_id": "small", "credits": str(credits)}
    return {
        "id": sid,
        "object": "checkout.session",
        "metadata": meta,
        "amount_total": 299,
        "currency": "usd",
        "client_reference_id": str(user_id),
        "payment_intent": f"pi_{sid}",
    }


def post(client: TestClient, body: bytes, header: str | None) -> Any:
    headers = {"Content-Type": "application/json"}
    if header is not None:
        headers["Stripe-Signature"] = header
    return client.post(URL, content=body, headers=headers)


def state(db: Engine, user_id: int) -> tuple[int, list[tuple[int, str, str | None]], int]:
    """Balance, purchase rows (amount, kind, event id), recorded event rows."""
    with Session(db) as s:
        balance = s.get(User, user_id).credits  # type: ignore[union-attr]
        rows = s.exec(select(CreditTransaction).where(CreditTransaction.kind == "purchase")).all()
        count = len(s.exec(select(StripeEvent)).all())
        assert credits.ledger_sum(s, user_id) == balance  # the ledger always adds up
        return balance, [(r.amount, r.kind, r.stripe_event_id) for r in rows], count


def test_a_paid_checkout_credits_once_and_tells_the_pages(client: TestClient, db: Engine) -> None:
    uid = buyer(db)
    body = checkout_event("evt_1", checkout(uid))
    r = post(client, body, sign(body, SECRET))
    assert r.status_code == 200 and r.json()["outcome"] == "credited"
    balance, rows, _ = state(db, uid)
    assert balance == 55 and rows == [(50, "purchase", "evt_1")]
    assert events.drain_local() == [events.BalanceEvent(user_id=uid, balance=55)]
    with Session(db) as s:
        [entry] = credits.history(s, uid, limit=1).items
        assert entry.kind == "purchase" and "cs_test_1" in entry.note

    # Stripe delivers the same event again (a retry, or a replay): nothing more.
    r = post(client, body, sign(body, SECRET))
    assert r.status_code == 200 and r.json()["outcome"] == "duplicate"
    assert state(db, uid)[:2] == (55, [(50, "purchase", "evt_1")])
    assert events.drain_local() == []


@pytest.mark.parametrize(
    "header",
    [
        None,  # no Stripe-Signature at all
        "",
        "t=1,v1=deadbeef",
        "garbage",
        "stale",  # right secret, signed 10 minutes ago: outside the 300 s tolerance
        "wrong-secret",
        "tampered",  # signed, then the body changed
    ],
)
def test_unsigned_or_badly_signed_events_are_400_and_write_nothing(
    client: TestClient, db: Engine, header: str | None
) -> None:
    uid = buyer(db)
    body = checkout_event("evt_bad", checkout(uid))
    if header == "stale":
        header = sign(body, SECRET, timestamp=int(time.time()) - 600)
    elif header == "wrong-secret":
        header = sign(body, "whsec_someone_else")
    elif header == "tampered":
        header = sign(body, SECRET)
        body = body.replace(b'"credits": "50"', b'"credits": "5000"')
    r = post(client, body, header)
    assert r.status_code == 400 and "error" in r.json()
    assert state(db, uid) == (5, [], 0)
    assert events.drain_local() == []


def test_without_a_webhook_secret_nothing_is_accepted(db: Engine, tmp_path: Path) -> None:
    api = create_api()
    off = Settings(_env_file=None, data_dir=tmp_path, secret_key="s")  # type: ignore[call-arg]
    api.dependency_overrides[get_settings] = lambda: off
    uid = buyer(db)
    body = checkout_event("evt_1", checkout(uid))
    with TestClient(api) as c:
        assert post(c, body, sign(body, "")).status_code == 400
    assert state(db, uid) == (5, [], 0)


def test_an_unpaid_session_waits_for_the_async_success(client: TestClient, db: Engine) -> None:
    uid = buyer(db)
    completed = checkout_event("evt_c", checkout(uid), payment_status="unpaid")
    r = post(client, completed, sign(completed, SECRET))
    assert r.status_code == 200 and r.json()["outcome"] == "unpaid"
    assert state(db, uid)[:2] == (5, [])
    succeeded = checkout_event(
        "evt_s", checkout(uid), event_type=payments.ASYNC_SUCCEEDED, payment_status="paid"
    )
    r = post(client, succeeded, sign(succeeded, SECRET))
    assert r.json()["outcome"] == "credited"
    assert state(db, uid)[:2] == (55, [(50, "purchase", "evt_s")])
    # A failed async payment, a replay, another "paid" event of the same session: nothing.
    for event_id, kind in [
        ("evt_f", "checkout.session.async_payment_failed"),
        ("evt_s", payments.ASYNC_SUCCEEDED),
        ("evt_c2", payments.COMPLETED),
    ]:
        body = checkout_event(event_id, checkout(uid), event_type=kind)
        r = post(client, body, sign(body, SECRET))
        assert r.status_code == 200 and r.json()["outcome"] != "credited"
    assert state(db, uid)[:2] == (55, [(50, "purchase", "evt_s")])


def test_unknown_events_and_foreign_sessions_are_acknowledged_and_ignored(
    client: TestClient, db: Engine
) -> None:
    uid = buyer(db)
    for event_id, body in [
        ("evt_u", checkout_event("evt_u", {"id": "pi_1"}, event_type="payment_intent.created")),
        ("evt_n", checkout_event("evt_n", {"id": "cs_other", "metadata": {}})),
        ("evt_g", checkout_event("evt_g", checkout(uid + 999))),  # a user who is gone
    ]:
        r = post(client, body, sign(body, SECRET))
        assert r.status_code == 200 and r.json()["outcome"] == "ignored", event_id
    assert state(db, uid)[:2] == (5, [])
    # A verified body that is not an event at all is still a clear 400.
    body = b'{"hello": "world"}'
    assert post(client, body, sign(body, SECRET)).status_code == 400


def test_two_concurrent_deliveries_credit_once(db: Engine, shop: Settings) -> None:
    """The same event applied in two transactions at once (two backend processes)."""
    uid = buyer(db)
    event = {
        "id": "evt_race",
        "type": payments.COMPLETED,
        "data": {"object": {**checkout(uid), "payment_status": "paid"}},
    }
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def deliver() -> None:
        with Session(db, expire_on_commit=False) as s:
            barrier.wait()
            applied = payments.apply_event(s, event, shop)
            s.commit()
            outcomes.append(applied.outcome.value)

    threads = [threading.Thread(target=deliver) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert sorted(outcomes) == ["credited", "duplicate"]
    assert state(db, uid)[:2] == (55, [(50, "purchase", "evt_race")])
