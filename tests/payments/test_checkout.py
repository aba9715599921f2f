"""Creating Checkout Sessions with the official `stripe` client against a loopback peer, and the
credit-pack settings; on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from pydantic import ValidationError
from sqlmodel import Session, select

from pixel_studio.models import CreditTransaction, StripeEvent
from pixel_studio.services import users
from pixel_studio.services.billing import payments
from pixel_studio.services.errors import InvalidInput, PaymentUnavailable
from pixel_studio.settings import DEFAULT_CREDIT_PACKS, Settings
from tests.payments.stripe_peer import StripePeer, stripe_peer


@pytest.fixture
def peer() -> Iterator[StripePeer]:
    with stripe_peer() as p:
        yield p


def shop(tmp_path: Path, peer: StripePeer, **extra: object) -> Settings:
    return Settings(  # type: ignore[call-arg]
        _env_file=None,
        data_dir=tmp_path,
        secret_key="test-secret",
        site_url="https://studio.example.com",
        stripe_secret_key="sk_test_peer",
        stripe_webhook_secret="whsec_test",
        stripe_api_base=peer.base,
        **extra,
    )


def test_checkout_session_is_created_with_pack_user_and_idempotency_key(
    session: Session, tmp_path: Path, peer: StripePeer
) -> None:
    settings = shop(tmp_path, peer)
    user = users.create_user(session, "buyer", "buyer@example.com", "longenough", bonus=5)
    session.commit()
    uid = user.id or 0
    client = payments.stripe_client(settings)

    start = payments.create_checkout(session, client, settings, uid, "medium", "key-1")

    assert start.session_id == "cs_test_0001" and start.url == f"{peer.base}/pay/cs_test_0001"
    [call] = peer.requests
    assert call.path == "/v1/checkout/sessions"
    assert call.headers["idempotency-key"] == "key-1"
    assert call.headers["authorization"] == "Bearer sk_test_peer"
    assert call.headers["content-type"].startswith("application/x-www-form-urlencoded")
    form = call.form
    assert form["mode"] == "payment"
    assert form["metadata[user_id]"] == str(uid)
    assert form["metadata[pack_id]"] == "medium"
    assert form["metadata[credits]"] == "150"
    assert form["client_reference_id"] == str(uid)
    assert form["line_items[0][quantity]"] == "1"
    assert form["line_items[0][price_data][unit_amount]"] == "699"
    assert form["line_items[0][price_data][currency]"] == "usd"
    assert form["line_items[0][price_data][product_data][name]"] == "150 Pixel Studio credits"
    assert form["success_url"] == (
        "https://studio.example.com/credits?checkout=success&session_id={CHECKOUT_SESSION_ID}"
    )
    assert form["cancel_url"] == "https://studio.example.com/credits?checkout=cancelled"
    # Starting a checkout credits nothing: only the webhook does.
    assert session.get(type(user), uid).credits == 5  # type: ignore[union-attr]
    assert (
        session.exec(select(CreditTransaction).where(CreditTransaction.kind == "purchase")).all()
        == []
    )


def test_the_same_key_gives_the_same_session_a_new_key_a_new_one(
    session: Session, tmp_path: Path, peer: StripePeer
) -> None:
    settings = shop(tmp_path, peer)
    uid = users.create_user(session, "buyer", "b@example.com", "longenough", bonus=0).id or 0
    client = payments.stripe_client(settings)
    first = payments.create_checkout(session, client, settings, uid, "small", "k-a")
    again = payments.create_checkout(session, client, settings, uid, "small", "k-a")
    other = payments.create_checkout(session, client, settings, uid, "small", "k-b")
    assert first == again and other.session_id != first.session_id
    assert [r.headers["idempotency-key"] for r in peer.requests] == ["k-a", "k-a", "k-b"]


def test_refusals_are_typed_and_send_nothing(
    session: Session, tmp_path: Path, peer: StripePeer
) -> None:
    settings = shop(tmp_path, peer)
    uid = users.create_user(session, "buyer", "b@example.com", "longenough", bonus=0).id or 0
    client = payments.stripe_client(settings)
    with pytest.raises(InvalidInput):
        payments.create_checkout(session, client, settings, uid, "huge", "k")
    assert peer.requests == []
    unconfigured = Settings(_env_file=None, data_dir=tmp_path, stripe_secret_key="sk")  # type: ignore[call-arg]
    with pytest.raises(PaymentUnavailable, match="not configured"):
        payments.stripe_client(unconfigured)


def test_an_outage_is_a_clear_error(session: Session, tmp_path: Path, peer: StripePeer) -> None:
    settings = shop(tmp_path, peer)
    uid = users.create_user(session, "buyer", "b@example.com", "longenough", bonus=0).id or 0
    peer.fail_with = 500
    with pytest.raises(PaymentUnavailable, match="Nothing was charged"):
        payments.create_checkout(
            session, payments.stripe_client(settings), settings, uid, "small", "k"
        )
    assert len(peer.requests) == 1  # no retries behind the person's back
    assert session.exec(select(StripeEvent)).all() == []


def test_pack_settings_default_and_validation(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    base = {"_env_file": None, "data_dir": tmp_path}
    default = Settings(**base)  # type: ignore[arg-type]
    assert [(p.credits, p.price_cents) for p in default.credit_packs] == [
        (50, 299),
        (150, 699),
        (400, 1499),
    ]
    assert default.credit_packs == DEFAULT_CREDIT_PACKS and not default.payments_enabled
    assert [payments.price_label(p, "usd") for p in default.credit_packs] == [
        "$2.99",
        "$6.99",
        "$14.99",
    ]
    monkeypatch.setenv("CREDIT_PACKS", '[{"id": "one", "credits": 10, "price_cents": 100}]')
    assert [p.id for p in Settings(**base).credit_packs] == ["one"]  # type: ignore[arg-type]
    for bad in (
        "[]",
        '[{"id": "a", "credits": 10, "price_cents": 100},'
        ' {"id": "a", "credits": 5, "price_cents": 60}]',
        '[{"id": "a", "credits": 0, "price_cents": 100}]',
        '[{"id": "a", "credits": 10, "price_cents": 49}]',
        '[{"id": "A b", "credits": 10, "price_cents": 100}]',
        "not json",
    ):
        monkeypatch.setenv("CREDIT_PACKS", bad)
        with pytest.raises((ValidationError, ValueError)):
            Settings(**base)  # type: ignore[arg-type]
