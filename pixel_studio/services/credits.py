"""Credits: every balance change is one conditional UPDATE plus one ledger row, together.

The UPDATE guards the balance in the database itself (`credits + amount >= 0`), so two
concurrent debits can never take a balance below zero, whatever the isolation level. Only a
payment reversal (refund, dispute) may, and then no debit fits until credits are bought.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, tuple_, update
from sqlmodel import Session, col, select

from pixel_studio.models import CreditKind, CreditTransaction, ImageSet, User
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
    allow_negative: bool = False,
) -> CreditTransaction:
    """Apply `amount` (negative to debit) and write its ledger row. Caller commits.

    `allow_negative` is for taking back a refunded or disputed purchase
    (services/billing/payments.py) only: the credits are gone whether or not they were spent, so the
    balance may drop below zero, and every debit is then refused until purchases bring it back
    up."""
    fits = col(User.credits) + amount >= 0
    result = session.execute(
        update(User)
        .where(col(User.id) == user_id, *(() if allow_negative else (fits,)))
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


def shortfall(needs: str, balance: int) -> str:
    """The refusal of a debit that does not fit: `needs` ("This needs 4 credits") and why."""
    if balance < 0:
        return (
            f"{needs}, and your balance is {balance}: credits from a refunded or disputed "
            "payment were taken back. Buy credits to bring it above zero before creating."
        )
    return f"{needs}; you have {balance}."


def debit_parts(
    session: Session, user_id: int, parts: Sequence[tuple[int, str]]
) -> list[CreditTransaction]:
    """ONE conditional debit of the parts' total, and one spend row per part (in order), each
    with the running balance after it, so the ledger reads like separate debits and still
    sums. Raises InsufficientCredits (nothing written) when the total does not fit. A
    comparison pays for its jobs this way (services/studio/compare.py). Caller commits."""
    total = sum(amount for amount, _ in parts)
    if not parts or any(amount <= 0 for amount, _ in parts):
        raise ValueError("debit_parts takes positive amounts")
    result = session.execute(
        update(User)
        .where(col(User.id) == user_id, col(User.credits) - total >= 0)
        .values(credits=col(User.credits) - total)
        .returning(col(User.credits))
    )
    balance = result.scalar_one_or_none()
    if balance is None:
        if session.get(User, user_id) is None:
            raise NotFound("That user does not exist.")
        raise InsufficientCredits("Not enough credits.")
    running = balance + total
    entries = []
    for amount, note in parts:
        running -= amount
        entry = CreditTransaction(
            user_id=user_id,
            amount=-amount,
            kind=CreditKind.spend,
            note=note,
            balance_after=running,
        )
        session.add(entry)
        entries.append(entry)
    session.flush()
    user = session.get(User, user_id)
    if user is not None:
        session.refresh(user, ["credits"])
    return entries


def ledger_sum(session: Session, user_id: int) -> int:
    total = session.exec(
        select(func.coalesce(func.sum(CreditTransaction.amount), 0)).where(
            CreditTransaction.user_id == user_id
        )
    ).one()
    return int(total)


def balances(session: Session, user_ids: Sequence[int]) -> dict[int, int]:
    """The balance of each of these users (the cached column the ledger keeps), one query:
    live pushes to many users' tabs read them at once."""
    if not user_ids:
        return {}
    rows = session.exec(select(User.id, User.credits).where(col(User.id).in_(list(user_ids)))).all()
    return {int(user_id or 0): int(credits) for user_id, credits in rows}


def recent_transactions(session: Session, user_id: int, limit: int = 50) -> list[CreditTransaction]:
    return list(
        session.exec(
            select(CreditTransaction)
            .where(CreditTransaction.user_id == user_id)
            .order_by(col(CreditTransaction.created_at).desc(), col(CreditTransaction.id).desc())
            .limit(limit)
        )
    )


Cursor = tuple[datetime, int]  # (created_at, id) of the last row shown: keyset pagination


@dataclass(frozen=True)
class HistoryItem:
    """One ledger row as the credits page shows it, with what it belongs to."""

    id: int
    amount: int
    kind: str
    note: str
    balance_after: int
    created_at: datetime
    job_id: str | None
    set_id: int | None  # the set its job made (spend, refund), if the set still exists
    stripe_event_id: str | None  # the payment's event (purchase)


@dataclass(frozen=True)
class HistoryPage:
    items: list[HistoryItem]
    next_before: Cursor | None


def history(
    session: Session, user_id: int, *, before: Cursor | None = None, limit: int = 25
) -> HistoryPage:
    """Every ledger row of the user, newest first, keyset-paged on (created_at, id) over the
    (user_id, created_at) index; each row with its job's set when it has one."""
    limit = max(1, min(limit, 100))
    stmt = (
        select(CreditTransaction, ImageSet.id)
        .outerjoin(ImageSet, col(ImageSet.job_id) == col(CreditTransaction.job_id))
        .where(col(CreditTransaction.user_id) == user_id)
    )
    if before is not None:
        stmt = stmt.where(
            tuple_(col(CreditTransaction.created_at), col(CreditTransaction.id)) < tuple_(*before)
        )
    stmt = stmt.order_by(
        col(CreditTransaction.created_at).desc(), col(CreditTransaction.id).desc()
    ).limit(limit + 1)
    rows = list(session.exec(stmt).all())
    more = len(rows) > limit
    rows = rows[:limit]
    items = [
        HistoryItem(
            id=tx.id or 0,
            amount=tx.amount,
            kind=tx.kind,
            note=tx.note,
            balance_after=tx.balance_after,
            created_at=tx.created_at,
            job_id=tx.job_id,
            set_id=set_id,
            stripe_event_id=tx.stripe_event_id,
        )
        for tx, set_id in rows
    ]
    last = rows[-1][0] if rows and more else None
    return HistoryPage(items, (last.created_at, last.id or 0) if last is not None else None)
