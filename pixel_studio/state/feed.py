"""`/feed`: public images of the people the signed-in user follows, newest first, keyset
pages ("Load more" and infinite scroll)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import reflex as rx

from pixel_studio.cache import get_cache
from pixel_studio.db import session_scope
from pixel_studio.services.errors import ServiceError
from pixel_studio.services.social import feed as feed_service
from pixel_studio.state.auth import checked_user_id, per_user, session_ended
from pixel_studio.state.image_cards import ImageCard, card_view
from pixel_studio.state.paging import append_new
from pixel_studio.storage import get_storage

PAGE_SIZE = 24


def read_page(viewer_id: int, cursor: str | None) -> tuple[list[ImageCard], str | None]:
    """One page of the viewer's feed as grid cards (blocking: run it in a thread)."""
    storage = get_storage()
    with session_scope() as session:
        page = feed_service.following_feed(
            session, get_cache(), viewer_id, cursor=cursor, limit=PAGE_SIZE
        )
        return [card_view(storage, c, viewer_id) for c in page.items], page.next_cursor


@per_user
class FeedState(rx.State):
    cards: rx.Field[list[ImageCard]] = rx.field(default_factory=list)
    has_more: rx.Field[bool] = rx.field(False)
    loading: rx.Field[bool] = rx.field(False)
    loaded: rx.Field[bool] = rx.field(False)
    _cursor: str | None = None
    _user_id: int | None = None

    async def _viewer(self) -> int | None:
        # The session, not the id loaded with the page: it may have been revoked since.
        self._user_id = await checked_user_id(self)
        return self._user_id

    @rx.event
    async def load(self) -> None:
        """on_load (after `AuthState.require_user`): the first page."""
        self.loaded, self.loading = False, False
        user_id = await self._viewer()
        if user_id is None:  # a visitor: `AuthState.require_user` already sends them to log in
            self.cards, self.has_more, self._cursor = [], False, None
            return
        cards, cursor = await asyncio.to_thread(read_page, user_id, None)
        self.cards, self._cursor, self.has_more = cards, cursor, cursor is not None
        self.loaded = True

    @rx.event
    async def load_more(self) -> AsyncIterator[Any]:
        if self._cursor is None or self.loading:
            return
        user_id = await self._viewer()
        if user_id is None:
            self.cards, self.has_more, self._cursor = [], False, None
            yield session_ended(str(self.router.url.path or ""))
            return
        self.loading = True
        yield
        try:
            cards, cursor = await asyncio.to_thread(read_page, user_id, self._cursor)
        except ServiceError as exc:
            self.loading = False
            yield rx.toast.error(exc.message)
            return
        self.cards = append_new(self.cards, cards, lambda c: c.image_id)
        self._cursor, self.has_more, self.loading = cursor, cursor is not None, False

    @rx.event
    def load_more_if_visible(self, visible: bool) -> Any:
        if visible and self.has_more and not self.loading:
            return FeedState.load_more
        return None
