"""Refunds and disputes take bought credits back, through the ledger, exactly once.

Stripe says a charge was refunded (`charge.refunded`, whose Charge carries the cumulative
`amount_refunded`) or disputed (`charge.dispute.created`: the money is held back at once, so
all the payment's credits go). The charge's PaymentIntent leads to the StripePayment row that
the purchase wrote (services/billing/payments.py). The credits to take back are a target, not a
step: refunded share of the payment's credits (rounded up: credits never outlast their money), or
all of them for a dispute, never more than were bought. `credits_reversed` moves to the target
by a conditional UPDATE (compare-and-set on its old value), and only the difference becomes a
"reversal" ledger row. So an event delivered twice, two partial refunds arriving out of order,
or a refund after a dispute take back the right total once, on every database, also when two
deliveries run at the same moment.

The balance may go below zero (the credits may have been spent): generation is then refused
with a message that says why (services/credits.shortfall).
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from sqlalchemy import update
from sqlmodel import Session, col, select

from pixel_studio.models import CreditKind, StripePayment
from pixel_studio.services.credits import change_balance

log = logging.getLogger(__name__)

REFUNDED = "charge.refunded"
DISPUTED = "charge.dispute.created"
TYPES = (REFUNDED, DISPUTED)
_CAS_ATTEMPTS = 5


class _Charge(BaseModel):
    model_config = ConfigDict(extra="ignore")

    id: str = Field(min_length=1, max_length=255)
    payment_intent: str | None = Field(default=None, max_length=255)
    amount_refunded: int = Field(default=0, ge=0)


class _Dispute(BaseModel):
    model_config = ConfigDict(extra="ignore")

    id: str = Field(min_length=1, max_length=255)
    payment_intent: str | None = Field(default=None, max_length=255)


@dataclass(frozen=True)
class Reversal:
    user_id: int
    taken: int  # credits taken back by this event (0: nothing left to take)
    balance: int | None  # after it, when something was taken


def _target(event_type: str, obj: dict[str, Any], payment: StripePayment) -> int:
    if event_type == DISPUTED:
        return payment.credits
    if payment.amount_total <= 0:  # never written so (packs cost at least 50), but no ZeroDivision
        return payment.credits
    refunded = min(_Charge.model_validate(obj).amount_refunded, payment.amount_total)
    return min(payment.credits, math.ceil(payment.credits * refunded / payment.amount_total))


def reverse(
    session: Session, event_id: str, event_type: str, obj: dict[str, Any]
) -> Reversal | None:
    """Apply one verified refund or dispute event inside the caller's transaction. None when
    it is not about a payment we credited (another product, or a purchase made before
    payments were recorded)."""
    try:
        model = _Charge if event_type == REFUNDED else _Dispute
        intent = model.model_validate(obj).payment_intent
    except ValidationError:
        log.warning("stripe: %s %s carries no charge or dispute", event_type, event_id)
        return None
    payment = (
        session.exec(select(StripePayment).where(StripePayment.payment_intent_id == intent)).first()
        if intent
        else None
    )
    if payment is None or payment.id is None:
        log.warning("stripe: %s %s is not for a credited payment", event_type, event_id)
        return None
    target = _target(event_type, obj, payment)
    for _ in range(_CAS_ATTEMPTS):
        # A column read, not the identity map: the value another delivery may just have set.
        done = session.exec(
            select(StripePayment.credits_reversed).where(StripePayment.id == payment.id)
        ).one()
        if target <= done:
            return Reversal(payment.user_id, 0, None)
        moved = session.execute(
            update(StripePayment)
            .where(col(StripePayment.id) == payment.id, col(StripePayment.credits_reversed) == done)
            .values(credits_reversed=target)
        )
        if moved.rowcount == 1:  # type: ignore[attr-defined]
            break
    else:  # pragma: no cover - five concurrent deliveries of one payment's events
        raise RuntimeError(f"stripe: payment {payment.id} kept changing under {event_id}")
    taken = target - done
    why = "dispute" if event_type == DISPUTED else "refund"
    entry = change_balance(
        session,
        payment.user_id,
        -taken,
        CreditKind.reversal,
        note=f"{taken} credits taken back · {why} of Checkout {payment.checkout_session_id}"[:255],
        stripe_event_id=event_id,
        allow_negative=True,
    )
    log.info("stripe: %s took %d credits back from user %s", event_id, taken, payment.user_id)
    return Reversal(payment.user_id, taken, entry.balance_after)
