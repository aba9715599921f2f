"""Credits: every balance change is one conditional UPDATE plus one ledger row, together.

The UPDATE guards the balance in the database itself (`credits + amount >= 0`), so two
concurrent debits can never take a balance below zero, whatever the isolation level.
"""

from __future__ import annotations

from sqlalchemy import func, update
from sqlmodel import Session, col, select

from pixel_studio.models import CreditKind, CreditTransaction, User
from pixel_studio.services.errors import InsufficientCredits, NotFound


def change_balance(
    session: Session,
    user_id: int,
    amount: int,
    kind: CreditKind,
    *,
    note: str = "",
    job_id: str | None = None,
    stripe_event_id: str | None = None,
) -> CreditTransaction:
    """Apply `amount` (negative to debit) and write its ledger row. Caller commits."""
    result = session.execute(
        update(User)
        .where(col(User.id) == user_id, col(User.credits) + amount >= 0)
        .values(credits=col(User.credits) + amount)
        .returning(col(User.credits))
    )
    balance = result.scalar_one_or_none()
    if balance is None:
        if session.get(User, user_id) is None:
            raise NotFound("That user does not exist.")
        raise InsufficientCredits("Not enough credits.")
    entry = CreditTransaction(
        user_id=user_id,
        amount=amount,
        kind=kind,
        note=note,
        job_id=job_id,
        stripe_event_id=stripe_event_id,
        balance_after=balance,
    )
    session.add(entry)
    session.flush()
    user = session.get(User, user_id)
    if user is not None:
        session.refresh(user, ["credits"])
    return entry


def ledger_sum(session: Session, user_id: int) -> int:
    total = session.exec(
        select(func.coalesce(func.sum(CreditTransaction.amount), 0)).where(
            CreditTransaction.user_id == user_id
        )
    ).one()
    return int(total)


def recent_transactions(session: Session, user_id: int, limit: int = 50) -> list[CreditTransaction]:
    return list(
        session.exec(
            select(CreditTransaction)
            .where(CreditTransaction.user_id == user_id)
            .order_by(col(CreditTransaction.created_at).desc(), col(CreditTransaction.id).desc())
            .limit(limit)
        )
    )
