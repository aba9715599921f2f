"""`/sets`: the user's generation history as cards, filtered by prompt text and model, paged
by keyset cursor ("Load more"). Status badges follow the jobs live (state/live.py).
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import reflex as rx

from pixel_studio.catalog import all_models
from pixel_studio.db import session_scope
from pixel_studio.services import sets as sets_service
from pixel_studio.services.images import image_url
from pixel_studio.state.auth import checked_user_id, per_user, session_ended
from pixel_studio.state.job_views import JobView, Thumb, model_name, status_color, status_label
from pixel_studio.storage import get_storage

PAGE_SIZE = 12
ALL_MODELS = "all"
Cursor = tuple[datetime, int]


@dataclasses.dataclass(frozen=True)
class SetCard:
    set_id: int
    prompt: str
    model_name: str
    status: str
    label: str
    color: str
    image_count: int
    total: int
    when: str
    thumbnails: list[Thumb] = dataclasses.field(default_factory=list)


@dataclasses.dataclass(frozen=True)
class Option:
    value: str
    label: str


def when(moment: datetime, now: datetime | None = None) -> str:
    """A short, relative time: "just now", "5 min ago", "3 h ago", "Nov 2", "Nov 2, 2025"."""
    now = now or datetime.now(UTC)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    seconds = (now - moment).total_seconds()
    if seconds < 60:
        return "just now"
    if seconds < 3600:
        return f"{int(seconds // 60)} min ago"
    if seconds < 86400:
        return f"{int(seconds // 3600)} h ago"
    if moment.year == now.year:
        return f"{moment:%b} {moment.day}"
    return f"{moment:%b} {moment.day}, {moment.year}"


def read_page(
    user_id: int, query: str, model: str, before: Cursor | None
) -> tuple[list[SetCard], Cursor | None]:
    storage = get_storage()
    with session_scope() as session:
        page = sets_service.list_sets(
            session,
            user_id,
            query=query or None,
            model=None if model in ("", ALL_MODELS) else model,
            before=before,
            limit=PAGE_SIZE,
        )
        cards = [
            SetCard(
                set_id=item.set.id or 0,
                prompt=item.set.prompt,
                model_name=model_name(item.set.model),
                status=item.job.status,
                label=status_label(item.job.status, item.job.done, item.job.total),
                color=status_color(item.job.status),
                image_count=item.image_count,
                total=item.job.total,
                when=when(item.set.created_at),
                thumbnails=[
                    Thumb(i.id or 0, image_url(storage, i, user_id, thumbnail=True), i.prompt)
                    for i in item.thumbnails
                ],
            )
            for item in page.items
        ]
    return cards, page.next_before


@per_user
class SetsState(rx.State):
    cards: rx.Field[list[SetCard]] = rx.field(default_factory=list)
    query: rx.Field[str] = rx.field("")
    model: rx.Field[str] = rx.field(ALL_MODELS)
    has_more: rx.Field[bool] = rx.field(False)
    loading: rx.Field[bool] = rx.field(False)
    loaded: rx.Field[bool] = rx.field(False)
    _before: Cursor | None = None
    _user_id: int | None = None

    @rx.var
    def model_options(self) -> list[Option]:
        return [Option(ALL_MODELS, "All models")] + [
            Option(m.id, m.display_name) for m in all_models()
        ]

    @rx.var
    def filtered(self) -> bool:
        return self.query.strip() != "" or self.model != ALL_MODELS

    async def _reload(self) -> Any:
        """The first page again; `session_ended` events if the tab's session has ended.

        Re-checked at every filter change: a revoked session must not keep reading history."""
        self._user_id = await checked_user_id(self)
        if self._user_id is None:
            self.cards, self.has_more = [], False
            return session_ended(str(self.router.url.path or ""))
        cards, before = await asyncio.to_thread(
            read_page, self._user_id, self.query.strip(), self.model, None
        )
        self.cards, self._before, self.has_more = cards, before, before is not None
        self.loaded = True

    @rx.event
    async def load(self) -> None:
        """on_load: first page, filters from the URL (`?q=…&model=…`) or none."""
        params = self.router.url.query_parameters
        self.query = str(params.get("q", ""))[:200]
        self.model = str(params.get("model", ALL_MODELS)) or ALL_MODELS
        self.loaded = False
        await self._reload()  # signed out: `AuthState.require_user` already redirects

    @rx.event
    async def set_query(self, value: str) -> Any:
        self.query = value[:200]
        return await self._reload()

    @rx.event
    async def set_model(self, value: str) -> Any:
        self.model = value
        return await self._reload()

    @rx.event
    async def clear_filters(self) -> Any:
        self.query, self.model = "", ALL_MODELS
        return await self._reload()

    @rx.event
    async def load_more(self) -> AsyncIterator[Any]:
        if self._before is None:
            return
        user_id = await checked_user_id(self)
        if user_id is None:
            yield session_ended(str(self.router.url.path or ""))
            return
        self.loading = True
        yield
        cards, before = await asyncio.to_thread(
            read_page, user_id, self.query.strip(), self.model, self._before
        )
        known = {c.set_id for c in self.cards}
        self.cards = self.cards + [c for c in cards if c.set_id not in known]
        self._before, self.has_more, self.loading = before, before is not None, False

    @rx.event
    def load_more_if_visible(self, visible: bool) -> Any:
        """The infinite-scroll sentinel came into view (or left it: then nothing)."""
        if visible and self.has_more and not self.loading:
            return SetsState.load_more
        return None

    def apply_job_view(self, view: JobView) -> None:
        """A job changed (live event): update its card if this page shows it."""
        cards = list(self.cards)
        for index, card in enumerate(cards):
            if card.set_id == view.set_id:
                cards[index] = dataclasses.replace(
                    card,
                    status=view.status,
                    label=view.label,
                    color=view.color,
                    image_count=view.done,
                    thumbnails=view.thumbnails[: sets_service.THUMBNAILS_PER_SET],
                )
                self.cards = cards
                return
