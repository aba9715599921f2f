"""`/explore`: public images for everyone, newest first by default, searchable and filtered.

The URL is the source of truth (`?q=&model=&style=&sort=&window=`): `load` (on_load) reads
it, and every filter change navigates to the new URL (`rx.redirect(..., replace=True)`),
which runs on_load again. A search can so be shared, and survives a reload. Pages after the
first are keyset pages (`services.social.explore`'s opaque cursor), kept server-side.

A search (a `q`) counts against the read tier, as GET /api/v1/explore does: per signed-in
user, else per client network; over it the page says when to try again. Browsing without a
search is not counted.
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import AsyncIterator, Mapping
from typing import Any, get_args
from urllib.parse import urlencode

import reflex as rx
from pydantic import ValidationError

from pixel_studio.cache import get_cache
from pixel_studio.catalog import STYLE_PRESETS, STYLES, all_models
from pixel_studio.db import read
from pixel_studio.services import rate_limits
from pixel_studio.services.errors import ServiceError
from pixel_studio.services.social import explore as explore_service
from pixel_studio.services.social.cards import Sort
from pixel_studio.state.auth import AuthState
from pixel_studio.state.image_cards import ImageCard, card_view
from pixel_studio.state.paging import append_new
from pixel_studio.storage import get_storage

PAGE_SIZE = 24
ALL = "all"  # the select's "no filter" value (a Radix select item cannot have value "")
SORTS: dict[str, str] = {"recent": "Newest", "liked": "Most liked", "trending": "Trending"}
WINDOWS: dict[str, str] = {"24h": "Last 24 hours", "7d": "Last 7 days", "30d": "Last 30 days"}
DEFAULTS: dict[str, str] = {"q": "", "model": ALL, "style": ALL, "sort": "recent", "window": "7d"}


@dataclasses.dataclass(frozen=True)
class Option:
    value: str
    label: str


def filters_from(params: Mapping[str, Any]) -> dict[str, str]:
    """The filters in a query string, each checked on its own: a bad value (an unknown sort,
    a 500-character search) falls back to its default instead of failing the page."""
    out = dict(DEFAULTS)
    for name in DEFAULTS:
        raw = params.get(name)
        if isinstance(raw, list):  # ?q=a&q=b: the first one
            raw = raw[0] if raw else None
        if raw is None or str(raw).strip() in ("", ALL):
            continue
        value = str(raw).strip()
        try:
            explore_service.ExploreQuery.model_validate({name: value})
        except ValidationError:
            continue
        out[name] = value
    return out


def explore_url(filters: Mapping[str, str]) -> str:
    """`/explore` with the filters that differ from the defaults, in a fixed order."""
    shown = {k: filters[k].strip() for k in DEFAULTS if filters.get(k, DEFAULTS[k]) != DEFAULTS[k]}
    if shown.get("sort") != "trending":
        shown.pop("window", None)  # the window only means something for trending
    shown = {k: v for k, v in shown.items() if v}
    return "/explore" + ("?" + urlencode(shown) if shown else "")


def query_of(filters: Mapping[str, str], cursor: str | None) -> explore_service.ExploreQuery:
    return explore_service.ExploreQuery.model_validate(
        {
            "q": filters["q"],
            "model": None if filters["model"] == ALL else filters["model"],
            "style": None if filters["style"] == ALL else filters["style"],
            "sort": filters["sort"],
            "window": filters["window"],
            "cursor": cursor,
            "limit": PAGE_SIZE,
        }
    )


Reader = tuple[int | None, str]  # (signed-in user id or None, client IP): whom a search counts


def read_page(
    filters: Mapping[str, str], cursor: str | None, reader: Reader
) -> tuple[list[ImageCard], str | None]:
    """One explore page as grid cards (blocking: run it in a thread). Public images only,
    so no viewer is needed; a search is counted against `reader`'s read tier first
    (RateLimited once over, nothing read)."""
    if filters["q"].strip():
        rate_limits.hit_read(get_cache(), reader[0], reader[1])
    storage = get_storage()
    query = query_of(filters, cursor)
    # A pure read: autocommit, no BEGIN/ROLLBACK round trips (db.read).
    page = read(lambda session: explore_service.explore(session, get_cache(), query))
    return [card_view(storage, c, None) for c in page.items], page.next_cursor


class ExploreState(rx.State):
    cards: rx.Field[list[ImageCard]] = rx.field(default_factory=list)
    q: rx.Field[str] = rx.field("")
    model: rx.Field[str] = rx.field(ALL)
    style: rx.Field[str] = rx.field(ALL)
    sort: rx.Field[str] = rx.field("recent")
    window: rx.Field[str] = rx.field("7d")
    has_more: rx.Field[bool] = rx.field(False)
    loading: rx.Field[bool] = rx.field(False)
    loaded: rx.Field[bool] = rx.field(False)
    error: rx.Field[str] = rx.field("")
    _cursor: str | None = None

    @rx.var
    def model_options(self) -> list[Option]:
        return [Option(ALL, "All models")] + [Option(m.id, m.display_name) for m in all_models()]

    @rx.var
    def style_options(self) -> list[Option]:
        styles = [s for s in STYLE_PRESETS if s != "none"] + list(STYLES)
        return [Option(ALL, "All styles")] + [
            Option(s, s.replace("-", " ").capitalize()) for s in styles
        ]

    @rx.var
    def sort_options(self) -> list[Option]:
        return [Option(k, v) for k, v in SORTS.items()]

    @rx.var
    def window_options(self) -> list[Option]:
        return [Option(k, v) for k, v in WINDOWS.items()]

    @rx.var
    def filtered(self) -> bool:
        return self.q != "" or self.model != ALL or self.style != ALL

    def _filters(self) -> dict[str, str]:
        return {
            "q": self.q,
            "model": self.model,
            "style": self.style,
            "sort": self.sort,
            "window": self.window,
        }

    @rx.event
    async def load(self) -> None:
        """on_load: the filters from the URL, then the first page."""
        filters = self._address_filters()
        self.q, self.model, self.style = filters["q"], filters["model"], filters["style"]
        self.sort, self.window = filters["sort"], filters["window"]
        self.loaded, self.loading, self.error = False, False, ""
        try:
            reader = await self._reader()
            cards, cursor = await asyncio.to_thread(read_page, filters, None, reader)
        except ServiceError as exc:
            cards, cursor, self.error = [], None, exc.message
        self.cards, self._cursor, self.has_more = cards, cursor, cursor is not None
        self.loaded = True

    async def _reader(self) -> Reader:
        user_id = (await self.get_state(AuthState))._user_id  # filled by load_user just before
        return user_id, self.router.session.client_ip or "unknown"

    def _address_filters(self) -> dict[str, str]:
        """The filters of the address the tab is on (the event's own, not the state's copy)."""
        return filters_from(self.router.url.query_parameters)

    def _go(self, **changes: str) -> Any:
        """Navigate to the URL of the filters with `changes` applied; on_load does the rest.
        The other filters are the address the tab is on, not the state's copy of them: a change
        made just as a page opened came before its on_load and took the last page's search."""
        return rx.redirect(explore_url({**self._address_filters(), **changes}), replace=True)

    @rx.event
    def search(self, form: dict[str, Any]) -> Any:
        """The search form was submitted (Enter or the button)."""
        return self._go(q=str(form.get("q") or "").strip()[:200])

    @rx.event
    def set_model(self, value: str) -> Any:
        return self._go(model=value)

    @rx.event
    def set_style(self, value: str) -> Any:
        return self._go(style=value)

    @rx.event
    def set_sort(self, value: str) -> Any:
        return self._go(sort=value if value in get_args(Sort) else "recent")

    @rx.event
    def set_window(self, value: str) -> Any:
        return self._go(window=value if value in WINDOWS else "7d")

    @rx.event
    def clear_filters(self) -> Any:
        here = self._address_filters()
        kept = {"sort": here["sort"], "window": here["window"]}
        return rx.redirect(explore_url({**DEFAULTS, **kept}))

    @rx.event
    async def load_more(self) -> AsyncIterator[Any]:
        if self._cursor is None or self.loading:
            return
        self.loading = True
        yield
        reader = await self._reader()
        try:
            cards, cursor = await asyncio.to_thread(
                read_page, self._filters(), self._cursor, reader
            )
        except ServiceError as exc:
            self.loading = False
            yield rx.toast.error(exc.message)
            return
        self.cards = append_new(self.cards, cards, lambda c: c.image_id)
        self._cursor, self.has_more, self.loading = cursor, cursor is not None, False

    @rx.event
    def load_more_if_visible(self, visible: bool) -> Any:
        """The infinite-scroll sentinel came into view (or left it: then nothing)."""
        if visible and self.has_more and not self.loading:
            return ExploreState.load_more
        return None
