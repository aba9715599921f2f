"""The credit history the credits page shows: every ledger row, newest first, keyset-paged,
each with its job's set or its payment; on SQLite and PostgreSQL."""

from __future__ import annotations

from sqlmodel import Session, select

from pixel_studio.models import CreditKind, ImageSet
from pixel_studio.services import credits
from pixel_studio.services.billing import payments
from pixel_studio.settings import Settings
from tests.services.generation_helpers import make_user, submit_job


def test_history_pages_through_every_kind_with_links(session: Session, settings: Settings) -> None:
    uid = make_user(session, "ledger", 20)  # a bonus row
    other = make_user(session, "someone", 20)
    job = submit_job(session, uid, settings)  # a spend row, linked to its job
    credits.change_balance(session, uid, 3, CreditKind.admin, note="prize")
    credits.change_balance(session, other, 7, CreditKind.admin)  # not this user's
    event = {
        "id": "evt_h",
        "type": payments.COMPLETED,
        "data": {
            "object": {
                "id": "cs_h",
                "payment_status": "paid",
                "metadata": {"user_id": str(uid), "pack_id": "small", "credits": "50"},
                "amount_total": 299,
                "currency": "usd",
                "client_reference_id": str(uid),
            }
        },
    }
    assert payments.apply_event(session, event, settings).outcome is payments.Outcome.credited
    session.commit()

    seen: list[credits.HistoryItem] = []
    before = None
    pages = 0
    while True:
        page = credits.history(session, uid, before=before, limit=2)
        seen += page.items
        pages += 1
        if page.next_before is None:
            break
        before = page.next_before
    assert pages == 2 and [i.kind for i in seen] == ["purchase", "admin", "spend", "bonus"]
    assert len({i.id for i in seen}) == 4
    purchase, admin, spend, bonus = seen
    assert purchase.amount == 50 and purchase.stripe_event_id == "evt_h"
    assert "cs_h" in purchase.note and purchase.set_id is None
    set_id = session.exec(select(ImageSet.id).where(ImageSet.job_id == job.id)).one()
    assert spend.job_id == job.id and spend.set_id == set_id and spend.amount < 0
    assert admin.note == "prize" and bonus.amount == 20
    assert purchase.balance_after == credits.ledger_sum(session, uid)
