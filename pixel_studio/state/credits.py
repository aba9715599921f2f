"""`/credits`: the balance, the packs on sale, and the user's credit history.

Buying asks Stripe for a Checkout Session (services/billing/payments.create_checkout) in a
background event, then sends the browser to Stripe's page. Coming back says what happened; the
credits themselves arrive with Stripe's webhook, and the balance then updates live in every open tab
(state/live.py, `BalanceEvent`), which also refreshes this page's history.
"""

from __future__ import annotations

import asyncio
import dataclasses
import secrets
from collections.abc import AsyncIterator
from typing import Any

import reflex as rx

from pixel_studio.db import session_scope
from pixel_studio.models import CreditKind
from pixel_studio.services import credits as credits_service
from pixel_studio.services.billing import payments
from pixel_studio.services.errors import ServiceError
from pixel_studio.settings import get_settings
from pixel_studio.state.auth import checked_user_id, full_page_load, per_user, session_ended
from pixel_studio.state.paging import append_new
from pixel_studio.state.sets import when

PAGE_SIZE = 25
Cursor = credits_service.Cursor

RETURNED = {
    "success": (
        "success",
        "Payment received, thank you. Your credits appear here as soon as Stripe confirms "
        "the payment, usually within seconds.",
    ),
    "cancelled": ("info", "Checkout cancelled: nothing was charged."),
}
KIND_LABEL = {
    CreditKind.purchase: "Purchase",
    CreditKind.spend: "Generation",
    CreditKind.refund: "Refund",
    CreditKind.bonus: "Bonus",
    CreditKind.admin: "Adjustment",
}
KIND_COLOR = {
    CreditKind.purchase: "green",
    CreditKind.spend: "gray",
    CreditKind.refund: "blue",
    CreditKind.bonus: "violet",
    CreditKind.admin: "amber",
}


@dataclasses.dataclass(frozen=True)
class PackCard:
    id: str
    credits: int
    price: str
    per_credit: str


@dataclasses.dataclass(frozen=True)
class HistoryRow:
    id: int
    kind: str
    color: str
    amount: str  # "+50", "−4"
    positive: bool
    what: str
    href: str  # the set a generation made; "" when there is nothing to open
    when: str
    balance_after: int


def pack_cards() -> list[PackCard]:
    settings = get_settings()
    return [
        PackCard(
            id=p.id,
            credits=p.credits,
            price=payments.price_label(p, settings.stripe_currency),
            per_credit=f"{p.price_cents / p.credits:.1f}¢ per credit",
        )
        for p in payments.packs(settings)
    ]


def row_of(item: credits_service.HistoryItem) -> HistoryRow:
    kind = CreditKind(item.kind) if item.kind in CreditKind.__members__ else None
    href = f"/sets/{item.set_id}" if item.set_id is not None else ""
    if kind is CreditKind.purchase:
        what = item.note or "Credits bought"  # names the Checkout Session: the payment
    elif kind in (CreditKind.spend, CreditKind.refund):
        what = item.note or ("Images generated" if kind is CreditKind.spend else "Refunded")
        if item.set_id is None and item.job_id:
            what += " (set deleted)"
    elif kind is CreditKind.bonus:
        what = item.note or "Welcome bonus"
    else:
        what = item.note or "Adjusted by an admin"
    return HistoryRow(
        id=item.id,
        kind=KIND_LABEL.get(kind, item.kind) if kind else item.kind,
        color=KIND_COLOR.get(kind, "gray") if kind else "gray",
        amount=f"+{item.amount}" if item.amount > 0 else f"−{-item.amount}",
        positive=item.amount > 0,
        what=what,
        href=href,
        when=when(item.created_at),
        balance_after=item.balance_after,
    )


def read_history(user_id: int, before: Cursor | None) -> tuple[list[HistoryRow], Cursor | None]:
    with session_scope() as session:
        page = credits_service.history(session, user_id, before=before, limit=PAGE_SIZE)
        return [row_of(i) for i in page.items], page.next_before


def start_checkout(user_id: int, pack_id: str, idempotency_key: str) -> str:
    """Blocking (one Stripe call): the URL of the Checkout page for this pack."""
    settings = get_settings()
    client = payments.stripe_client(settings)
    with session_scope() as session:
        start = payments.create_checkout(
            session, client, settings, user_id, pack_id, idempotency_key
        )
    return start.url


@per_user
class CreditsState(rx.State):
    packs: rx.Field[list[PackCard]] = rx.field(default_factory=list)
    rows: rx.Field[list[HistoryRow]] = rx.field(default_factory=list)
    enabled: rx.Field[bool] = rx.field(False)
    has_more: rx.Field[bool] = rx.field(False)
    loading: rx.Field[bool] = rx.field(False)
    loaded: rx.Field[bool] = rx.field(False)
    notice: rx.Field[str] = rx.field("")
    notice_kind: rx.Field[str] = rx.field("info")  # success / info / error
    buying: rx.Field[str] = rx.field("")  # the pack whose checkout is being created
    _before: Cursor | None = None
    _user_id: int | None = None
    # One per page view: a double click starts one Checkout Session (same idempotency key),
    # coming back to the page and buying again starts a new one.
    _nonce: str = ""

    async def _first_page(self) -> Any:
        self._user_id = await checked_user_id(self)
        if self._user_id is None:
            self.rows, self.has_more = [], False
            return session_ended(str(self.router.url.path or ""))
        rows, before = await asyncio.to_thread(read_history, self._user_id, None)
        self.rows, self._before, self.has_more = rows, before, before is not None
        self.loaded = True
        return None

    @rx.event
    async def load(self) -> Any:
        """on_load: packs, the message for a return from Checkout, the first history page."""
        self.loaded, self.buying = False, ""
        self._nonce = secrets.token_urlsafe(12)
        self.enabled = get_settings().payments_enabled
        self.packs = pack_cards()
        returned = RETURNED.get(str(self.router.url.query_parameters.get("checkout", "")))
        self.notice_kind, self.notice = returned or ("info", "")
        return await self._first_page()

    @rx.event
    async def refresh(self) -> Any:
        """The balance changed (live event): show the new ledger row."""
        if self.notice_kind == "success":
            self.notice = "Your credits have arrived."
        return await self._first_page()

    @rx.event
    async def load_more(self) -> AsyncIterator[Any]:
        if self._before is None or self.loading:
            return
        user_id = await checked_user_id(self)
        if user_id is None:
            yield session_ended(str(self.router.url.path or ""))
            return
        self.loading = True
        yield
        rows, before = await asyncio.to_thread(read_history, user_id, self._before)
        self.rows = append_new(self.rows, rows, lambda r: r.id)
        self._before, self.has_more, self.loading = before, before is not None, False

    @rx.event(background=True)
    async def buy(self, pack_id: str) -> AsyncIterator[Any]:
        """Create the Checkout Session off the state lock (a network call), then go there."""
        async with self:
            user_id = await checked_user_id(self)
            if user_id is None:
                ended = session_ended(str(self.router.url.path or ""))
            elif self.buying:
                return  # one checkout at a time
            else:
                ended = None
                self.buying, self.notice = pack_id, ""
                key = f"ps-checkout-{user_id}-{pack_id}-{self._nonce}"
        if ended is not None:
            yield ended
            return
        assert user_id is not None
        try:
            url = await asyncio.to_thread(start_checkout, user_id, pack_id, key)
        except ServiceError as exc:
            async with self:
                self.buying, self.notice_kind, self.notice = "", "error", exc.message
            return
        # `buying` stays set: the button keeps its spinner while the browser leaves.
        yield full_page_load(url)
