"""The webhook checks a paid session against its pack, and refunds and disputes take the
credits back through the ledger, once (issue 13, item 8); on SQLite and PostgreSQL. Every
body is signed with the official client's helper (stripe.WebhookSignature)."""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import stripe
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from pixel_studio import events
from pixel_studio.api import create_api
from pixel_studio.api.deps import db_session
from pixel_studio.models import CreditKind, CreditTransaction, StripePayment, User
from pixel_studio.services import credits, users
from pixel_studio.services.billing import payments
from pixel_studio.services.errors import InsufficientCredits
from pixel_studio.services.studio import compare, generation
from pixel_studio.settings import Settings, get_settings
from tests.payments.stripe_peer import checkout_event

SECRET = "whsec_reversal_secret"
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


def buyer(db: Engine, name: str = "buyer") -> int:
    with Session(db) as s:
        user = users.create_user(s, name, f"{name}@example.com", "longenough", bonus=5)
        s.commit()
        return user.id or 0


def paid(user_id: int, sid: str = "cs_rev_1", **changes: Any) -> dict[str, Any]:
    """The "small" pack (50 credits, 299 usd cents) as create_checkout sold it."""
    session: dict[str, Any] = {
        "id": sid,
        "object": "checkout.session",
        "metadata": {"user_id": str(user_id), "pack_id": "small", "credits": "50"},
        "amount_total": 299,
        "currency": "usd",
        "client_reference_id": str(user_id),
        "payment_intent": f"pi_{sid}",
    }
    session.update(changes)
    return session


def charge_event(event_id: str, event_type: str, obj: dict[str, Any]) -> bytes:
    return json.dumps(
        {
            "id": event_id,
            "object": "event",
            "created": int(time.time()),
            "type": event_type,
            "data": {"object": obj},
        }
    ).encode()


def refund(event_id: str, intent: str, refunded: int) -> bytes:
    charge = {
        "id": f"ch_{intent}",
        "object": "charge",
        "amount": 299,
        "amount_refunded": refunded,
        "refunded": refunded >= 299,
        "payment_intent": intent,
        "currency": "usd",
    }
    return charge_event(event_id, "charge.refunded", charge)


def dispute(event_id: str, intent: str) -> bytes:
    obj = {
        "id": f"dp_{intent}",
        "object": "dispute",
        "amount": 299,
        "charge": f"ch_{intent}",
        "payment_intent": intent,
        "reason": "fraudulent",
        "status": "needs_response",
    }
    return charge_event(event_id, "charge.dispute.created", obj)


def deliver(client: TestClient, body: bytes) -> str:
    header = stripe.WebhookSignature.generate_signature_header(body.decode(), SECRET)
    r = client.post(
        URL, content=body, headers={"Content-Type": "application/json", "Stripe-Signature": header}
    )
    assert r.status_code == 200, r.text
    return str(r.json()["outcome"])


def balance_and_rows(db: Engine, user_id: int) -> tuple[int, list[tuple[str, int, int]]]:
    """Balance, and (kind, amount, balance_after) of every purchase and reversal row."""
    with Session(db) as s:
        balance = s.get(User, user_id).credits  # type: ignore[union-attr]
        assert credits.ledger_sum(s, user_id) == balance  # the ledger always adds up
        rows = s.exec(
            select(CreditTransaction)
            .where(CreditTransaction.user_id == user_id, CreditTransaction.kind != "bonus")
            .order_by(CreditTransaction.id)  # type: ignore[arg-type]
        ).all()
        return balance, [(r.kind, r.amount, r.balance_after) for r in rows]


# ---------------------------------------------------------------- the pack checks


@pytest.mark.parametrize(
    ("changes", "why"),
    [
        ({"amount_total": 1}, "amount_total 1"),
        ({"amount_total": None}, "amount_total None"),
        ({"currency": "eur"}, "currency 'eur'"),
        ({"client_reference_id": "999999"}, "client_reference_id '999999'"),
        ({"client_reference_id": None}, "client_reference_id None"),
        ({"metadata": {"user_id": "{uid}", "pack_id": "small", "credits": "5000"}}, "5000"),
        ({"metadata": {"user_id": "{uid}", "pack_id": "huge", "credits": "50"}}, "'huge'"),
    ],
    ids=["amount", "no-amount", "currency", "other-buyer", "no-buyer", "credits", "pack"],
)
def test_a_session_that_is_not_its_pack_is_logged_and_not_credited(
    client: TestClient, db: Engine, caplog: pytest.LogCaptureFixture, changes: dict, why: str
) -> None:
    uid = buyer(db)
    if "metadata" in changes:
        changes["metadata"]["user_id"] = str(uid)
    body = checkout_event("evt_mismatch", paid(uid, **changes))
    with caplog.at_level(logging.ERROR, logger="pixel_studio.services.billing.payments"):
        # 200: Stripe signed it, a retry would carry the same body (api/stripe_webhook.py).
        assert deliver(client, body) == "mismatch"
    assert balance_and_rows(db, uid) == (5, [])
    assert [r for r in caplog.records if "NOT credited" in r.message and why in r.message]
    assert events.drain_local() == []
    # The same session, as sold, still credits once: the mismatch did not burn its guard.
    assert deliver(client, checkout_event("evt_good", paid(uid))) == "credited"
    assert balance_and_rows(db, uid)[0] == 55


def test_the_currency_is_compared_with_stripe_currency(
    db: Engine, shop: Settings, session: Session
) -> None:
    uid = buyer(db)
    eur = shop.model_copy(update={"stripe_currency": "eur"})
    event = {"id": "evt_eur", "type": payments.COMPLETED, "data": {"object": {}}}
    event["data"]["object"] = {**paid(uid, currency="usd"), "payment_status": "paid"}
    assert payments.apply_event(session, event, eur).outcome is payments.Outcome.mismatch
    event["id"], event["data"]["object"]["currency"] = "evt_eur2", "EUR"
    assert payments.apply_event(session, event, eur).outcome is payments.Outcome.credited


# ---------------------------------------------------------------- refunds and disputes


def test_a_refund_takes_the_credits_back_once(client: TestClient, db: Engine) -> None:
    uid = buyer(db)
    assert deliver(client, checkout_event("evt_buy", paid(uid))) == "credited"
    events.drain_local()
    body = refund("evt_refund", "pi_cs_rev_1", 299)
    assert deliver(client, body) == "reversed"
    assert balance_and_rows(db, uid) == (5, [("purchase", 50, 55), ("reversal", -50, 5)])
    assert events.drain_local() == [events.BalanceEvent(user_id=uid, balance=5)]
    # The same event again, and another event saying the same cumulative refund: nothing.
    assert deliver(client, body) == "duplicate"
    assert deliver(client, refund("evt_refund_again", "pi_cs_rev_1", 299)) == "duplicate"
    assert balance_and_rows(db, uid)[0] == 5
    with Session(db) as s:
        [entry] = credits.history(s, uid, limit=1).items
        assert entry.kind == CreditKind.reversal and "refund of Checkout cs_rev_1" in entry.note


def test_partial_refunds_in_any_order_take_back_the_refunded_share(
    client: TestClient, db: Engine
) -> None:
    uid = buyer(db)
    deliver(client, checkout_event("evt_buy", paid(uid)))
    # Two partial refunds (100, then 100 more: cumulative 200 of 299), delivered late-first.
    assert deliver(client, refund("evt_r2", "pi_cs_rev_1", 200)) == "reversed"
    assert deliver(client, refund("evt_r1", "pi_cs_rev_1", 100)) == "duplicate"
    # ceil(50 * 200 / 299) = 34: credits never outlast the money that bought them.
    assert balance_and_rows(db, uid) == (21, [("purchase", 50, 55), ("reversal", -34, 21)])
    assert deliver(client, refund("evt_r3", "pi_cs_rev_1", 299)) == "reversed"
    assert balance_and_rows(db, uid)[1][-1] == ("reversal", -16, 5)
    with Session(db) as s:
        payment = s.exec(select(StripePayment)).one()
        assert (payment.credits, payment.credits_reversed) == (50, 50)


def test_a_dispute_after_spending_leaves_a_negative_balance_that_refuses_generation(
    client: TestClient, db: Engine, shop: Settings
) -> None:
    uid = buyer(db)
    deliver(client, checkout_event("evt_buy", paid(uid)))
    with Session(db) as s:  # spend 40 of the 55 on images
        credits.change_balance(s, uid, -40, CreditKind.spend, note="images")
        s.commit()
    assert deliver(client, dispute("evt_dispute", "pi_cs_rev_1")) == "reversed"
    balance, rows = balance_and_rows(db, uid)
    assert balance == -35 and rows[-1] == ("reversal", -50, -35)
    # A refund of the disputed charge afterwards takes nothing more.
    assert deliver(client, refund("evt_after", "pi_cs_rev_1", 299)) == "duplicate"
    assert balance_and_rows(db, uid)[0] == -35

    req = generation.validate_request(
        {"model": "local-sketch", "prompt": "a red fox", "size": "256x256"}, shop
    )
    with Session(db) as s:
        with pytest.raises(InsufficientCredits) as refused:
            generation.submit(s, uid, req, shop)
        s.rollback()
        message = refused.value.message
        assert "-35" in message and "refunded or disputed" in message and "Buy credits" in message
        with pytest.raises(InsufficientCredits) as refused_compare:
            compare.submit_compare(s, uid, [req, req])
        s.rollback()
        assert "refunded or disputed" in refused_compare.value.message
    assert balance_and_rows(db, uid)[0] == -35  # nothing was charged

    # Buying again brings it back up; creating works once the balance covers the price.
    deliver(client, checkout_event("evt_buy2", paid(uid, "cs_rev_2")))
    assert balance_and_rows(db, uid)[0] == 15
    with Session(db) as s:
        assert generation.submit(s, uid, req, shop).credits_charged == generation.price_of(req)
        s.commit()


def test_refunds_of_payments_we_did_not_credit_are_ignored(client: TestClient, db: Engine) -> None:
    uid = buyer(db)
    assert deliver(client, refund("evt_other", "pi_someone_else", 299)) == "ignored"
    assert deliver(client, dispute("evt_other_d", "pi_someone_else")) == "ignored"
    body = charge_event("evt_bad", "charge.refunded", {"object": "charge"})  # no id
    assert deliver(client, body) == "ignored"
    assert balance_and_rows(db, uid) == (5, [])


def test_two_refund_deliveries_at_once_take_back_once(db: Engine, shop: Settings) -> None:
    """Two events stating the same full refund, applied in two transactions at once."""
    uid = buyer(db)
    with Session(db) as s:
        event = {"id": "evt_b", "type": payments.COMPLETED, "data": {"object": {}}}
        event["data"]["object"] = {**paid(uid), "payment_status": "paid"}
        assert payments.apply_event(s, event, shop).outcome is payments.Outcome.credited
        s.commit()
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def apply(event_id: str) -> None:
        body = json.loads(refund(event_id, "pi_cs_rev_1", 299))
        with Session(db, expire_on_commit=False) as s:
            barrier.wait()
            outcome = payments.apply_event(s, body, shop).outcome.value
            s.commit()
            outcomes.append(outcome)

    threads = [threading.Thread(target=apply, args=(f"evt_race_{i}",)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert sorted(outcomes) == ["duplicate", "reversed"]
    assert balance_and_rows(db, uid) == (5, [("purchase", 50, 55), ("reversal", -50, 5)])
