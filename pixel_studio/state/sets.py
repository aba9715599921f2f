"""`/sets`: the user's generation history as cards, searched by prompt text, model, seed and
date range, paged by keyset cursor ("Load more"). Status badges follow the jobs live
(state/live.py).

The URL holds the search (`?q=&model=&seed=&from=&to=`), as on /explore: `load` (on_load)
reads it, and a search goes to its URL with a replace redirect, which runs on_load again.
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import AsyncIterator, Mapping
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

import reflex as rx

from pixel_studio.catalog import all_models
from pixel_studio.db import session_scope
from pixel_studio.services.studio import sets as sets_service
from pixel_studio.services.studio.images import image_url
from pixel_studio.services.studio.sets import SearchErrors, SetSearch
from pixel_studio.state.auth import checked_user_id, per_user, session_ended
from pixel_studio.state.job_views import JobView, Thumb, model_name, status_color, status_label
from pixel_studio.state.paging import append_new
from pixel_studio.storage import get_storage

PAGE_SIZE = 12
ALL_MODELS = "all"
FILTERS = ("q", "model", "seed", "from", "to")  # the URL's names for the search
NO_ERRORS: dict[str, str] = {"seed": "", "from": "", "to": ""}
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


def sets_url(filters: Mapping[str, str]) -> str:
    """`/sets` with the filters that are set, in a fixed order (the URL holds the search)."""
    shown = {k: filters.get(k, "").strip() for k in FILTERS}
    shown = {k: v for k, v in shown.items() if v and not (k == "model" and v == ALL_MODELS)}
    return "/sets" + ("?" + urlencode(shown) if shown else "")


def read_page(
    user_id: int, search: SetSearch, before: Cursor | None
) -> tuple[list[SetCard], Cursor | None]:
    storage = get_storage()
    with session_scope() as session:
        page = sets_service.list_sets(
            session,
            user_id,
            query=search.query or None,
            model=None if search.model in ("", ALL_MODELS) else search.model,
            seed=search.seed,
            created_from=search.created_from,
            created_to=search.created_to,
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
    seed: rx.Field[str] = rx.field("")
    date_from: rx.Field[str] = rx.field("")
    date_to: rx.Field[str] = rx.field("")
    errors: rx.Field[dict[str, str]] = rx.field(default_factory=lambda: dict(NO_ERRORS))
    has_more: rx.Field[bool] = rx.field(False)
    loading: rx.Field[bool] = rx.field(False)
    loaded: rx.Field[bool] = rx.field(False)
    _before: Cursor | None = None
    _user_id: int | None = None
    _search: SetSearch = SetSearch()

    @rx.var
    def model_options(self) -> list[Option]:
        return [Option(ALL_MODELS, "All models")] + [
            Option(m.id, m.display_name) for m in all_models()
        ]

    @rx.var
    def filtered(self) -> bool:
        return (
            any((self.query.strip(), self.seed, self.date_from, self.date_to))
            or self.model != ALL_MODELS
        )

    def _filters(self) -> dict[str, str]:
        return {
            "q": self.query.strip()[:200],
            "model": self.model,
            "seed": self.seed.strip(),
            "from": self.date_from.strip(),
            "to": self.date_to.strip(),
        }

    async def _reload(self) -> Any:
        """The first page again; `session_ended` events if the tab's session has ended."""
        self._user_id = await checked_user_id(self)
        if self._user_id is None:
            self.cards, self.has_more = [], False
            return session_ended(str(self.router.url.path or ""))
        cards, before = await asyncio.to_thread(read_page, self._user_id, self._search, None)
        self.cards, self._before, self.has_more = cards, before, before is not None
        self.loaded = True

    @rx.event
    async def load(self) -> None:
        """on_load: the filters from the URL (`?q=&model=&seed=&from=&to=`), then the first
        page. A bad value in the URL is shown at its field and left out of the search."""
        params = self.router.url.query_parameters
        raw = {k: str(params.get(k) or "")[:200] for k in FILTERS}
        self.query, self.model = raw["q"], raw["model"] or ALL_MODELS
        self.seed, self.date_from, self.date_to = raw["seed"], raw["from"], raw["to"]
        try:
            self._search, self.errors = sets_service.parse_search(raw), dict(NO_ERRORS)
        except SearchErrors as exc:
            self.errors = {**NO_ERRORS, **exc.errors}
            good = {k: ("" if k in exc.errors else v) for k, v in raw.items()}
            self._search = sets_service.parse_search(good)
        self.loaded = False
        await self._reload()  # signed out: `AuthState.require_user` already redirects

    async def _go(self) -> Any:
        """Check the filters; at a problem, say it at its field and keep the page as it is;
        else go to the search's own URL (replacing this one): on_load reads it."""
        try:
            sets_service.parse_search(self._filters())
        except SearchErrors as exc:
            self.errors = {**NO_ERRORS, **exc.errors}
            return None
        # Re-checked at every search: a revoked session must not keep reading history.
        if await checked_user_id(self) is None:
            self.cards, self.has_more = [], False
            return session_ended(str(self.router.url.path or ""))
        self.errors = dict(NO_ERRORS)
        return rx.redirect(sets_url(self._filters()), replace=True)

    # The text inputs only keep what is typed; the search form's submit (Enter, "Search")
    # runs it, so a URL change never races the typing.
    @rx.event
    def set_query(self, value: str) -> None:
        self.query = value[:200]

    @rx.event
    def set_seed(self, value: str) -> None:
        self.seed = value.strip()[:20]
        self.errors = {**self.errors, "seed": ""}

    @rx.event
    def set_date_from(self, value: str) -> None:
        self.date_from = value.strip()[:20]
        self.errors = {**self.errors, "from": "", "to": ""}

    @rx.event
    def set_date_to(self, value: str) -> None:
        self.date_to = value.strip()[:20]
        self.errors = {**self.errors, "to": ""}

    @rx.event
    async def search(self, _form: dict[str, Any] | None = None) -> Any:
        return await self._go()

    @rx.event
    async def set_model(self, value: str) -> Any:
        self.model = value
        return await self._go()

    @rx.event
    async def clear_filters(self) -> Any:
        self.query, self.model, self.seed, self.date_from, self.date_to = (
            "",
            ALL_MODELS,
            "",
            "",
            "",
        )
        return await self._go()

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
        cards, before = await asyncio.to_thread(read_page, user_id, self._search, self._before)
        self.cards = append_new(self.cards, cards, lambda c: c.set_id)
        self._before, self.has_more, self.loading = before, before is not None, False

    @rx.event
    def load_more_if_visible(self, visible: bool) -> Any:
        """The infinite-scroll sentinel came into view (or left it: then nothing)."""
        if visible and self.has_more and not self.loading:
            return SetsState.load_more
        return None

    def _apply_job_view(self, view: JobView) -> None:
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
