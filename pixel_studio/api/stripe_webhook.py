"""`POST /api/stripe/webhook`: Stripe tells us a Checkout Session was paid.

The signature is checked on the raw body before anything is parsed or written; a missing,
wrong or stale one is a 400 and nothing happens. A verified event is applied and committed
in one transaction (services/billing/payments.apply_event), then the user's open pages get the new
balance (events.BalanceEvent). Every verified event gets a 2xx, also the ones we ignore, have
seen before, or refuse to credit because they do not match the pack (outcome "mismatch",
logged as an error): the signature proves Stripe sent it, so a retry would carry the same
body and fail the same way for days, and Stripe disables an endpoint that keeps failing,
which would stop every other customer's credits too. A person grants the credits after
checking. Refunds and disputes take credits back (outcome "reversed").
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse
from sqlmodel import Session

from pixel_studio import events
from pixel_studio.api.deps import SessionDep, SettingsDep
from pixel_studio.services.billing import payments
from pixel_studio.services.errors import InvalidInput
from pixel_studio.settings import Settings

router = APIRouter()


def _apply(session: Session, event: dict[str, object], settings: Settings) -> payments.Applied:
    applied = payments.apply_event(session, event, settings)
    session.commit()  # before the balance event: a page that reads it must see the credit
    return applied


@router.post("/api/stripe/webhook", include_in_schema=False)
async def stripe_webhook(
    request: Request, session: SessionDep, settings: SettingsDep
) -> JSONResponse:
    payload = await request.body()
    try:
        event = payments.verify_event(settings, payload, request.headers.get("stripe-signature"))
        applied = await run_in_threadpool(_apply, session, event, settings)
    except InvalidInput as exc:
        return JSONResponse({"error": exc.message}, status_code=400)
    changed = (payments.Outcome.credited, payments.Outcome.reversed)
    if applied.outcome in changed and applied.user_id is not None:
        assert applied.balance is not None
        balance = events.BalanceEvent(user_id=applied.user_id, balance=applied.balance)
        events.publish(balance, settings)
    return JSONResponse({"received": True, "outcome": applied.outcome.value})
