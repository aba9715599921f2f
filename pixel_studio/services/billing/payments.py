"""Buying credits: Stripe Checkout to take the money, its signed webhook to credit it.

The flow: `create_checkout` asks Stripe (the official client, `STRIPE_API_BASE`) for a Checkout
Session in `payment` mode for one pack, with the user and the pack in its metadata and an
idempotency key, and the page sends the browser there. Nothing is credited on the way back:
the success page only says the payment is on its way. Credits arrive when Stripe's webhook
says the session is paid (`apply_event`), which is the only proof of payment.

Exactly once, on every database: the event id goes into `stripe_event` (unique) with
INSERT .. ON CONFLICT DO NOTHING in the same transaction as the ledger row and the balance
change, so a replayed event, or the same event delivered twice at once (the second insert
waits for the first transaction and then finds the row), credits nothing. A second guard row
keyed by the Checkout Session (`checkout:<session id>`) makes one session credit once, even if
both its `completed` and `async_payment_succeeded` events were to say "paid".

Before crediting, the session must be what was sold: its pack on sale, its credits, its
`amount_total` and `currency` the pack's price, its `client_reference_id` the buyer in its
metadata. A session that is not (another product on the same Stripe account, a price changed
while someone paid) is logged as an error and not credited. The credited payment is kept
(StripePayment) so that a refund or dispute of its charge can take the credits back
(services/billing/payment_reversals.py).
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import stripe
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from sqlmodel import Session

from pixel_studio.db import utcnow
from pixel_studio.models import CreditKind, StripeEvent, StripePayment, User
from pixel_studio.models.webhooks import WebhookEvent
from pixel_studio.services import rate_limits
from pixel_studio.services.billing import payment_reversals
from pixel_studio.services.credits import change_balance
from pixel_studio.services.errors import InvalidInput, NotFound, PaymentUnavailable
from pixel_studio.services.integrations import webhooks
from pixel_studio.services.social_sql import insert_ignore
from pixel_studio.settings import CreditPack, Settings

log = logging.getLogger(__name__)

COMPLETED = "checkout.session.completed"
ASYNC_SUCCEEDED = "checkout.session.async_payment_succeeded"
NOT_CONFIGURED = "Payments are not configured on this site."
UNREACHABLE = "The payment service could not be reached. Nothing was charged: try again."
# Stripe's own tolerance: a signature older than this is refused (replays of old captures).
SIGNATURE_TOLERANCE_SECONDS = 300


def packs(settings: Settings) -> list[CreditPack]:
    return list(settings.credit_packs)


def find_pack(settings: Settings, pack_id: str) -> CreditPack:
    for pack in settings.credit_packs:
        if pack.id == pack_id:
            return pack
    raise InvalidInput("That credit pack does not exist.")


def price_label(pack: CreditPack, currency: str) -> str:
    """ "$2.99" for USD, "2.99 EUR" for the rest: the page's label, not an accounting figure."""
    amount = f"{pack.price_cents // 100}.{pack.price_cents % 100:02d}"
    return f"${amount}" if currency == "usd" else f"{amount} {currency.upper()}"


def stripe_client(settings: Settings) -> stripe.StripeClient:
    """The official client, pointed at STRIPE_API_BASE. A short timeout and no retries: a
    person is waiting on the other end, and the idempotency key makes their retry safe."""
    if not settings.payments_enabled:
        raise PaymentUnavailable(NOT_CONFIGURED)
    return stripe.StripeClient(
        settings.stripe_secret_key,
        base_addresses={"api": settings.stripe_api_base.rstrip("/")},
        max_network_retries=0,
        http_client=stripe.new_default_http_client(timeout=20),
    )


@dataclass(frozen=True)
class CheckoutStart:
    session_id: str
    url: str  # Stripe's hosted page: the browser goes there


def create_checkout(
    session: Session,
    client: stripe.StripeClient,
    settings: Settings,
    user_id: int,
    pack_id: str,
    idempotency_key: str,
) -> CheckoutStart:
    """A Checkout Session for one pack. The same key gives the same session (a double click
    starts one payment, not two)."""
    user = session.get(User, user_id)
    if user is None:
        raise NotFound("That user does not exist.")
    pack = find_pack(settings, pack_id)
    # The financial tier, per user, before Stripe is asked for anything.
    rate_limits.hit(
        rate_limits.get_limiter(), rate_limits.FINANCIAL, rate_limits.user_key(user_id), settings
    )
    site = settings.site_url.rstrip("/")
    params: dict[str, Any] = {
        "mode": "payment",
        "line_items": [
            {
                "quantity": 1,
                "price_data": {
                    "currency": settings.stripe_currency,
                    "unit_amount": pack.price_cents,
                    "product_data": {"name": f"{pack.credits} Pixel Studio credits"},
                },
            }
        ],
        "client_reference_id": str(user_id),
        "customer_email": user.email,
        "metadata": {"user_id": str(user_id), "pack_id": pack.id, "credits": str(pack.credits)},
        # Stripe replaces {CHECKOUT_SESSION_ID} itself.
        "success_url": f"{site}/credits?checkout=success&session_id={{CHECKOUT_SESSION_ID}}",
        "cancel_url": f"{site}/credits?checkout=cancelled",
    }
    try:
        checkout = client.v1.checkout.sessions.create(
            params=params,  # type: ignore[arg-type]
            options={"idempotency_key": idempotency_key},
        )
    except stripe.StripeError:
        log.warning("stripe: could not create a checkout session", exc_info=True)
        raise PaymentUnavailable(UNREACHABLE) from None
    if not checkout.url:
        raise PaymentUnavailable(UNREACHABLE)
    return CheckoutStart(session_id=checkout.id, url=checkout.url)


def verify_event(settings: Settings, payload: bytes, signature: str | None) -> dict[str, Any]:
    """The event Stripe signed, from the raw body; InvalidInput for a missing, wrong or stale
    signature, or a body that is not an event."""
    if not settings.stripe_webhook_secret:
        raise InvalidInput(NOT_CONFIGURED)
    if not signature:
        raise InvalidInput("Missing Stripe-Signature header.")
    try:
        stripe.WebhookSignature.verify_header(
            payload.decode("utf-8"),
            signature,
            settings.stripe_webhook_secret,
            SIGNATURE_TOLERANCE_SECONDS,
        )
        event = json.loads(payload)
    except (stripe.SignatureVerificationError, UnicodeDecodeError, ValueError):
        raise InvalidInput("Invalid Stripe signature or payload.") from None
    if not isinstance(event, dict):
        raise InvalidInput("Invalid Stripe payload.")
    return event


class _EventData(BaseModel):
    object: dict[str, Any]


class _Event(BaseModel):
    id: str = Field(min_length=1, max_length=200)
    type: str = Field(min_length=1, max_length=100)
    data: _EventData


class _CheckoutSession(BaseModel):
    model_config = ConfigDict(extra="ignore")

    id: str = Field(min_length=1, max_length=200)
    payment_status: str = ""
    metadata: dict[str, str] = Field(default_factory=dict)
    amount_total: int | None = None
    currency: str | None = None
    client_reference_id: str | None = None
    payment_intent: str | None = Field(default=None, max_length=255)


class _PackMetadata(BaseModel):
    """What `create_checkout` wrote: what was sold, as it was sold (packs may change later)."""

    user_id: int = Field(gt=0)
    pack_id: str = Field(max_length=32)
    credits: int = Field(gt=0, le=1_000_000)


class Outcome(StrEnum):
    credited = "credited"
    duplicate = "duplicate"  # this event, or this session's payment, was already applied
    unpaid = "unpaid"  # a completed session whose payment has not arrived (yet)
    ignored = "ignored"  # an event type we do not act on, or not one of our sessions
    mismatch = "mismatch"  # paid, but not what the pack costs: logged, nothing credited
    reversed = "reversed"  # a refund or dispute took credits back


@dataclass(frozen=True)
class Applied:
    outcome: Outcome
    user_id: int | None = None
    balance: int | None = None  # after the credit (or the reversal)


def apply_event(session: Session, event: dict[str, Any], settings: Settings) -> Applied:
    """Apply one verified event inside the caller's transaction (the caller commits).

    The event id is recorded first, whatever the type: a replay is answered from that row.
    A paid session is credited only when it is exactly what `create_checkout` sold (pack,
    price, currency, buyer); refunds and disputes go to services/billing/payment_reversals.py."""
    try:
        parsed = _Event.model_validate(event)
    except ValidationError:
        raise InvalidInput("That is not a Stripe event.") from None
    row = {"event_id": parsed.id, "type": parsed.type, "received_at": utcnow()}
    if not insert_ignore(session, StripeEvent, row):
        return Applied(Outcome.duplicate)
    if parsed.type in payment_reversals.TYPES:
        return _reverse(session, parsed)
    if parsed.type not in (COMPLETED, ASYNC_SUCCEEDED):
        return Applied(Outcome.ignored)
    try:
        checkout = _CheckoutSession.model_validate(parsed.data.object)
    except ValidationError:
        log.warning("stripe: event %s carries no checkout session", parsed.id)
        return Applied(Outcome.ignored)
    if checkout.payment_status != "paid":
        return Applied(Outcome.unpaid)  # async payment: `async_payment_succeeded` follows
    try:
        meta = _PackMetadata.model_validate(checkout.metadata)
    except ValidationError:
        log.warning("stripe: session %s is not a credit purchase", checkout.id)
        return Applied(Outcome.ignored)
    problem = _mismatch(settings, checkout, meta)
    if problem is not None:
        # Signed by Stripe, so a retry would carry the same body: answered 2xx (see the
        # webhook route) and left to a person, who can grant the credits after checking.
        log.error("stripe: session %s NOT credited (event %s): %s", checkout.id, parsed.id, problem)
        return Applied(Outcome.mismatch, meta.user_id)
    guard = {"event_id": f"checkout:{checkout.id}", "type": "credited", "received_at": utcnow()}
    if not insert_ignore(session, StripeEvent, guard):
        return Applied(Outcome.duplicate, meta.user_id)
    try:
        entry = change_balance(
            session,
            meta.user_id,
            meta.credits,
            CreditKind.purchase,
            note=f"{meta.credits} credits · Checkout {checkout.id}"[:255],
            stripe_event_id=parsed.id,
        )
    except NotFound:
        log.warning("stripe: session %s paid for user %s, who is gone", checkout.id, meta.user_id)
        return Applied(Outcome.ignored, meta.user_id)
    # What a refund or dispute of this payment's charge will take back.
    session.add(
        StripePayment(
            user_id=meta.user_id,
            checkout_session_id=checkout.id,
            payment_intent_id=checkout.payment_intent,
            pack_id=meta.pack_id,
            credits=meta.credits,
            amount_total=checkout.amount_total or 0,
            currency=checkout.currency or "",
        )
    )
    session.flush()
    # An API user's webhook, committed with the credit (outbox: services/integrations/webhooks.py).
    data = {"credits": meta.credits, "pack_id": meta.pack_id, "balance": entry.balance_after}
    data.update(amount_total=checkout.amount_total or 0, currency=checkout.currency or "")
    webhooks.record(session, meta.user_id, WebhookEvent.payment_succeeded, data)
    return Applied(Outcome.credited, meta.user_id, entry.balance_after)


def _mismatch(settings: Settings, checkout: _CheckoutSession, meta: _PackMetadata) -> str | None:
    """Why this paid session is not the pack it names, or None. Checked against the pack on
    sale now: a price changed while someone was paying is refused too (and logged)."""
    try:
        pack = find_pack(settings, meta.pack_id)
    except InvalidInput:
        return f"no pack {meta.pack_id!r} is on sale"
    if meta.credits != pack.credits:
        return f"it names {meta.credits} credits, pack {pack.id!r} gives {pack.credits}"
    if checkout.amount_total != pack.price_cents:
        return f"amount_total {checkout.amount_total}, pack {pack.id!r} costs {pack.price_cents}"
    if (checkout.currency or "").lower() != settings.stripe_currency:
        return f"currency {checkout.currency!r}, the packs are in {settings.stripe_currency!r}"
    if checkout.client_reference_id != str(meta.user_id):
        return f"client_reference_id {checkout.client_reference_id!r} is not user {meta.user_id}"
    return None


def _reverse(session: Session, parsed: _Event) -> Applied:
    done = payment_reversals.reverse(session, parsed.id, parsed.type, parsed.data.object)
    if done is None:
        return Applied(Outcome.ignored)
    if not done.taken:
        return Applied(Outcome.duplicate, done.user_id)
    return Applied(Outcome.reversed, done.user_id, done.balance)
