"""Collections in the UI: the image page's "Add to collection" dialog, and `/collections`
(my collections as cards, and a new one).

One collection's own page is state/collection_detail.py.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from collections.abc import AsyncIterator
from typing import Any

import reflex as rx

from pixel_studio.cache import get_cache
from pixel_studio.db import session_scope
from pixel_studio.services.errors import InvalidInput, ServiceError
from pixel_studio.services.social import collections as collections_service
from pixel_studio.services.social_sql import Cursor
from pixel_studio.services.studio.images import image_url
from pixel_studio.state.auth import AuthState, checked_user_id, login_url, per_user, session_ended
from pixel_studio.state.paging import append_new
from pixel_studio.storage import get_storage

log = logging.getLogger(__name__)

PAGE_SIZE = 24
NEW_COLLECTION_ERROR = "The collection could not be created. Please try again."


@dataclasses.dataclass(frozen=True)
class Choice:
    """One row of the dialog: a collection of mine, and whether it holds the image."""

    id: int
    title: str
    private: bool
    holds: bool


@dataclasses.dataclass(frozen=True)
class CollectionCard:
    id: int
    href: str
    title: str
    count: int
    private: bool
    cover: str  # the newest image's thumbnail; "" for an empty collection
    cover_alt: str


def card_of(summary: collections_service.CollectionSummary, viewer_id: int) -> CollectionCard:
    storage = get_storage()
    collection = summary.collection
    first = summary.covers[0] if summary.covers else None
    return CollectionCard(
        id=collection.id or 0,
        href=f"/collections/{collection.id}",
        title=collection.title,
        count=summary.image_count,
        private=collection.private,
        cover=image_url(storage, first, viewer_id, thumbnail=True) if first else "",
        cover_alt=first.prompt if first else "",
    )


def read_choices(user_id: int, image_id: int) -> list[Choice]:
    with session_scope() as session:
        rows = collections_service.collections_for_image(session, user_id, image_id)
        return [Choice(r.id, r.title, r.private, r.holds) for r in rows]


def put_image(user_id: int, collection_id: int, image_id: int, holds: bool) -> None:
    with session_scope() as session:
        change = collections_service.add_image if holds else collections_service.remove_image
        change(session, get_cache(), user_id, collection_id, image_id)


def create_with_image(user_id: int, title: str, private: bool, image_id: int) -> int:
    """A new collection, holding the image from the start. Its id."""
    with session_scope() as session:
        cache = get_cache()
        collection = collections_service.create_collection(
            session, cache, user_id, title, private=private
        )
        collection_id = collection.id or 0
        collections_service.add_image(session, cache, user_id, collection_id, image_id)
        return collection_id


def create(user_id: int, title: str, description: str, private: bool) -> int:
    with session_scope() as session:
        collection = collections_service.create_collection(
            session, get_cache(), user_id, title, description=description, private=private
        )
        return collection.id or 0


def read_collections(
    user_id: int, before: Cursor | None
) -> tuple[list[CollectionCard], Cursor | None]:
    with session_scope() as session:
        page = collections_service.list_collections(
            session, user_id, user_id, before=before, limit=PAGE_SIZE
        )
        return [card_of(item, user_id) for item in page.items], page.next_before


def _flag(value: Any) -> bool:
    """A checkbox in form data: "on" when ticked, absent or "" when not."""
    return value is True or str(value).lower() in ("on", "true", "1")


@per_user
class CollectionPickerState(rx.State):
    """The "Add to collection" dialog of the image page."""

    open: rx.Field[bool] = rx.field(False)
    image_id: rx.Field[int] = rx.field(0)
    choices: rx.Field[list[Choice]] = rx.field(default_factory=list)
    loading: rx.Field[bool] = rx.field(False)
    new_title: rx.Field[str] = rx.field("")
    new_private: rx.Field[bool] = rx.field(False)
    title_error: rx.Field[str] = rx.field("")

    @rx.event
    async def open_for(self, image_id: int) -> AsyncIterator[Any]:
        auth = await self.get_state(AuthState)
        if not auth.signed_in:
            path = str(self.router.url.path or "")
            yield [rx.toast.info("Log in to collect images."), rx.redirect(login_url(path))]
            return
        self.image_id, self.open, self.loading = image_id, True, True
        self.new_title, self.new_private, self.title_error = "", False, ""
        yield
        user_id = await checked_user_id(self)
        if user_id is None:
            yield session_ended(str(self.router.url.path or ""))
            return
        try:
            self.choices = await asyncio.to_thread(read_choices, user_id, image_id)
        except ServiceError as exc:
            self.open = False
            yield rx.toast.error(exc.message)
        finally:
            self.loading = False

    @rx.event
    def set_open(self, value: bool) -> None:
        """The dialog's own open/close (Escape, outside click, its trigger): it only ever
        closes here; `open_for` opens it, for signed-in users."""
        if not value:
            self.open = False

    @rx.event
    def set_new_title(self, value: str) -> None:
        self.new_title, self.title_error = value, ""

    @rx.event
    def set_new_private(self, value: bool) -> None:
        self.new_private = bool(value)

    @rx.event
    async def toggle(self, collection_id: int, holds: bool) -> AsyncIterator[Any]:
        """Tick or untick one collection: optimistic, put back if refused."""
        before = list(self.choices)
        self.choices = [
            dataclasses.replace(c, holds=holds) if c.id == collection_id else c
            for c in self.choices
        ]
        yield
        user_id = await checked_user_id(self)
        if user_id is None:
            yield session_ended(str(self.router.url.path or ""))
            return
        title = next((c.title for c in before if c.id == collection_id), "the collection")
        try:
            await asyncio.to_thread(put_image, user_id, collection_id, self.image_id, holds)
        except ServiceError as exc:
            self.choices = before
            yield rx.toast.error(exc.message)
            return
        except Exception:
            log.exception("could not change collection %s", collection_id)
            self.choices = before
            yield rx.toast.error("That did not work. Please try again.")
            return
        yield rx.toast.success(f"Added to {title}." if holds else f"Removed from {title}.")

    @rx.event
    async def create(self, form: dict[str, Any]) -> AsyncIterator[Any]:
        """A new collection from the dialog, with this image in it."""
        title = str(form.get("title", self.new_title))
        private = _flag(form.get("private", self.new_private))
        user_id = await checked_user_id(self)
        if user_id is None:
            yield session_ended(str(self.router.url.path or ""))
            return
        try:
            await asyncio.to_thread(create_with_image, user_id, title, private, self.image_id)
            self.choices = await asyncio.to_thread(read_choices, user_id, self.image_id)
        except InvalidInput as exc:
            self.title_error = exc.message
            return
        except ServiceError as exc:
            yield rx.toast.error(exc.message)
            return
        except Exception:
            log.exception("could not create a collection")
            yield rx.toast.error(NEW_COLLECTION_ERROR)
            return
        self.new_title, self.new_private, self.title_error = "", False, ""
        yield rx.toast.success(f"Added to {title.strip()}.")


@per_user
class CollectionsState(rx.State):
    """`/collections`: the signed-in user's collections, newest first, and "New collection"."""

    cards: rx.Field[list[CollectionCard]] = rx.field(default_factory=list)
    has_more: rx.Field[bool] = rx.field(False)
    loading: rx.Field[bool] = rx.field(False)
    loaded: rx.Field[bool] = rx.field(False)
    create_open: rx.Field[bool] = rx.field(False)
    title_error: rx.Field[str] = rx.field("")
    description_error: rx.Field[str] = rx.field("")
    _before: Cursor | None = None
    _user_id: int | None = None

    @rx.event
    async def load(self) -> None:
        self.loaded, self.loading, self.create_open = False, False, False
        self._user_id = await checked_user_id(self)
        if self._user_id is None:
            self.cards, self.has_more, self._before = [], False, None
            return
        cards, before = await asyncio.to_thread(read_collections, self._user_id, None)
        self.cards, self._before, self.has_more = cards, before, before is not None
        self.loaded = True

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
            cards, before = await asyncio.to_thread(read_collections, user_id, self._before)
        finally:
            self.loading = False
        self.cards = append_new(self.cards, cards, lambda c: c.id)
        self._before, self.has_more = before, before is not None

    @rx.event
    def load_more_if_visible(self, visible: bool) -> Any:
        if visible and self.has_more and not self.loading:
            return CollectionsState.load_more
        return None

    @rx.event
    def set_create_open(self, value: bool) -> None:
        self.create_open = value
        self.title_error = self.description_error = ""

    @rx.event
    async def create(self, form: dict[str, Any]) -> Any:
        user_id = await checked_user_id(self)
        if user_id is None:
            return session_ended(str(self.router.url.path or ""))
        title = str(form.get("title", ""))
        try:
            collection_id = await asyncio.to_thread(
                create,
                user_id,
                title,
                str(form.get("description", "")),
                _flag(form.get("private")),
            )
        except InvalidInput as exc:
            if exc.field == "description":
                self.description_error = exc.message
            else:
                self.title_error = exc.message
            return None
        except ServiceError as exc:
            return rx.toast.error(exc.message)
        except Exception:
            log.exception("could not create a collection")
            return rx.toast.error(NEW_COLLECTION_ERROR)
        self.create_open = False
        return [
            rx.toast.success(f"Collection “{title.strip()}” created."),
            rx.redirect(f"/collections/{collection_id}"),
        ]
