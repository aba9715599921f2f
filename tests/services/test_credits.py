from __future__ import annotations

import pytest
from sqlmodel import Session

from pixel_studio.models import CreditKind
from pixel_studio.services import credits, users
from pixel_studio.services.errors import InsufficientCredits, NotFound


def test_debit_never_goes_below_zero_and_ledger_matches(session: Session) -> None:
    user = users.create_user(session, "carol", "carol@example.com", "longenough", bonus=5)
    session.commit()
    uid = user.id or 0
    credits.change_balance(session, uid, -3, CreditKind.spend)
    session.commit()
    with pytest.raises(InsufficientCredits):
        credits.change_balance(session, uid, -3, CreditKind.spend)
    session.rollback()
    credits.change_balance(session, uid, 10, CreditKind.admin, note="grant")
    session.commit()
    assert users.get_user(session, uid).credits == 12
    assert credits.ledger_sum(session, uid) == 12
    rows = credits.recent_transactions(session, uid)
    assert [r.balance_after for r in rows] == [12, 2, 5]


def test_unknown_user(session: Session) -> None:
    with pytest.raises(NotFound):
        credits.change_balance(session, 999_999, 1, CreditKind.admin)


def test_balances_of_many_users_in_one_read(session: Session) -> None:
    a = users.create_user(session, "dora", "dora@example.com", "longenough", bonus=5)
    b = users.create_user(session, "eli", "eli@example.com", "longenough", bonus=5)
    session.commit()
    credits.change_balance(session, b.id or 0, 7, CreditKind.admin, note="grant")
    session.commit()
    assert credits.balances(session, [a.id or 0, b.id or 0, 999_999]) == {
        a.id: 5,
        b.id: 12,
    }
    assert credits.balances(session, []) == {}
