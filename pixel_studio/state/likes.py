"""Likes: the image page's like button, and `/likes` (the images I liked, newest like first).

The button is optimistic: a click flips it and moves the count at once (the first delta goes
to the page before the server is asked), then the service's answer replaces both; a refusal
puts them back and says why. A visitor is sent to log in and comes back to the image.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from typing import Any

import reflex as rx

from pixel_studio.cache import get_cache
from pixel_studio.db import session_scope
from pixel_studio.services.errors import ServiceError
from pixel_studio.services.social import likes as likes_service
from pixel_studio.services.social_sql import Cursor
from pixel_studio.state.auth import AuthState, checked_user_id, login_url, per_user, session_ended
from pixel_studio.state.image_cards import ImageCard, card_view
from pixel_studio.state.paging import append_new
from pixel_studio.storage import get_storage

log = logging.getLogger(__name__)

PAGE_SIZE = 24


def set_like(user_id: int, image_id: int, liked: bool) -> likes_service.LikeState:
    with session_scope() as session:
        change = likes_service.like_image if liked else likes_service.unlike_image
        return change(session, get_cache(), user_id, image_id)


def read_liked(user_id: int, before: Cursor | None) -> tuple[list[ImageCard], Cursor | None]:
    """One page of the images the user liked, as grid cards (blocking: run it in a thread)."""
    storage = get_storage()
    with session_scope() as session:
        page = likes_service.liked_images(
            session, get_cache(), user_id, before=before, limit=PAGE_SIZE
        )
    cards = [card_view(storage, card, user_id) for card in page.items]
    return cards, page.next_before


@per_user
class LikeButtonState(rx.State):
    """The like button of the image page (ImagePageState.load fills it from its read)."""

    image_id: rx.Field[int] = rx.field(0)
    liked: rx.Field[bool] = rx.field(False)
    like_count: rx.Field[int] = rx.field(0)

    @rx.var
    def label(self) -> str:
        return "Unlike" if self.liked else "Like"

    def _show(self, image_id: int, liked: bool, like_count: int) -> None:
        self.image_id, self.liked, self.like_count = image_id, liked, like_count

    @rx.event
    async def toggle(self) -> AsyncIterator[Any]:
        if not self.image_id:
            return
        path = str(self.router.url.path or "")
        auth = await self.get_state(AuthState)
        if not auth.signed_in:
            yield [rx.toast.info("Log in to like images."), rx.redirect(login_url(path))]
            return
        image_id, was = self.image_id, (self.liked, self.like_count)
        want = not self.liked
        self.liked, self.like_count = want, max(0, self.like_count + (1 if want else -1))
        yield  # the page shows the new state now; the server's answer follows
        user_id = await checked_user_id(self)  # resets this state if the session ended
        if user_id is None:
            yield session_ended(path)
            return
        try:
            result = await asyncio.to_thread(set_like, user_id, image_id, want)
        except ServiceError as exc:
            self.liked, self.like_count = was
            yield rx.toast.error(exc.message)
            return
        except Exception:
            log.exception("could not change the like of image %s", image_id)
            self.liked, self.like_count = was
            yield rx.toast.error("That did not work. Please try again.")
            return
        if self.image_id == image_id:
            self.liked, self.like_count = result.liked, result.like_count


@per_user
class LikedImagesState(rx.State):
    """`/likes`: the signed-in user's liked images, keyset-paged (infinite scroll)."""

    cards: rx.Field[list[ImageCard]] = rx.field(default_factory=list)
    has_more: rx.Field[bool] = rx.field(False)
    loading: rx.Field[bool] = rx.field(False)
    loaded: rx.Field[bool] = rx.field(False)
    _before: Cursor | None = None
    _user_id: int | None = None

    @rx.event
    async def load(self) -> Any:
        """on_load (after `AuthState.require_user`): the first page."""
        self.loaded, self.loading = False, False
        self._user_id = await checked_user_id(self)
        if self._user_id is None:  # a visitor: `require_user` already sends them to log in
            self.cards, self.has_more, self._before = [], False, None
            return None
        cards, before = await asyncio.to_thread(read_liked, self._user_id, None)
        self.cards, self._before, self.has_more = cards, before, before is not None
        self.loaded = True
        return None

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
        try:
            cards, before = await asyncio.to_thread(read_liked, user_id, self._before)
        finally:
            self.loading = False
        self.cards = append_new(self.cards, cards, lambda c: c.image_id)
        self._before, self.has_more = before, before is not None

    @rx.event
    def load_more_if_visible(self, visible: bool) -> Any:
        if visible and self.has_more and not self.loading:
            return LikedImagesState.load_more
        return None
