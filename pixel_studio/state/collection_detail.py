"""`/collections/[collection_id]`: one collection's images (infinite scroll); for its owner,
rename and describe, private/public, delete (confirmed), remove an image.

Anyone may open a public collection; a private one asked for by anyone but its owner reads
exactly like a missing id (the service's NotFound), with nothing of it left in the state.
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
from pixel_studio.services.errors import InvalidInput, NotFound, ServiceError
from pixel_studio.services.social import collections as collections_service
from pixel_studio.services.social_sql import Cursor
from pixel_studio.state.auth import AuthState, checked_user_id, per_user, session_ended
from pixel_studio.state.image_cards import ImageCard, image_card
from pixel_studio.state.paging import append_new
from pixel_studio.state.route_params import id_from_path
from pixel_studio.storage import get_storage

log = logging.getLogger(__name__)

PAGE_SIZE = 24


@dataclasses.dataclass(frozen=True)
class CollectionPage:
    collection_id: int
    title: str
    description: str
    private: bool
    is_owner: bool
    cards: list[ImageCard]
    before: Cursor | None


def read_collection(
    viewer_id: int | None, collection_id: int, before: Cursor | None
) -> CollectionPage:
    storage = get_storage()
    with session_scope() as session:
        page = collections_service.collection_images(
            session, viewer_id, collection_id, before=before, limit=PAGE_SIZE
        )
        c = page.collection
        return CollectionPage(
            collection_id=collection_id,
            title=c.title,
            description=c.description,
            private=c.private,
            is_owner=page.is_owner,
            cards=[image_card(storage, i, viewer_id) for i in page.images],
            before=page.next_before,
        )


def save_details(user_id: int, collection_id: int, title: str, description: str) -> None:
    """The edit dialog's two fields; the title is checked first, so a bad one changes
    nothing."""
    with session_scope() as session:
        cache = get_cache()
        collections_service.rename_collection(session, cache, user_id, collection_id, title)
        collections_service.describe_collection(session, cache, user_id, collection_id, description)


def set_privacy(user_id: int, collection_id: int, private: bool) -> None:
    with session_scope() as session:
        collections_service.set_collection_privacy(
            session, get_cache(), user_id, collection_id, private
        )


def delete(user_id: int, collection_id: int) -> None:
    with session_scope() as session:
        collections_service.delete_collection(session, get_cache(), user_id, collection_id)


def remove_image(user_id: int, collection_id: int, image_id: int) -> None:
    with session_scope() as session:
        collections_service.remove_image(session, get_cache(), user_id, collection_id, image_id)


@per_user
class CollectionDetailState(rx.State):
    loaded: rx.Field[bool] = rx.field(False)
    found: rx.Field[bool] = rx.field(False)
    collection_id: rx.Field[int] = rx.field(0)
    title: rx.Field[str] = rx.field("")
    description: rx.Field[str] = rx.field("")
    private: rx.Field[bool] = rx.field(False)
    is_owner: rx.Field[bool] = rx.field(False)
    cards: rx.Field[list[ImageCard]] = rx.field(default_factory=list)
    has_more: rx.Field[bool] = rx.field(False)
    loading: rx.Field[bool] = rx.field(False)
    edit_open: rx.Field[bool] = rx.field(False)
    title_error: rx.Field[str] = rx.field("")
    description_error: rx.Field[str] = rx.field("")
    _before: Cursor | None = None

    def _show(self, page: CollectionPage | None) -> None:
        self.loaded, self.found = True, page is not None
        if page is None:  # nothing of a collection this viewer may not see stays here
            self.collection_id, self.title, self.description = 0, "", ""
            self.private = self.is_owner = self.has_more = False
            self.cards, self._before = [], None
            return
        self.collection_id, self.title, self.description = (
            page.collection_id,
            page.title,
            page.description,
        )
        self.private, self.is_owner = page.private, page.is_owner
        self.cards, self._before, self.has_more = page.cards, page.before, page.before is not None

    async def _read(self, collection_id: int | None) -> CollectionPage | None:
        if collection_id is None:
            return None
        viewer = (await self.get_state(AuthState))._user_id  # reading: the page's hint
        try:
            return await asyncio.to_thread(read_collection, viewer, collection_id, None)
        except NotFound:
            return None

    @rx.event
    async def load(self) -> None:
        """on_load (after `AuthState.load_user`): the collection named in the URL."""
        self.loaded, self.loading, self.edit_open = False, False, False
        self._show(await self._read(id_from_path(str(self.router.url.path or ""))))

    @rx.event
    async def load_more(self) -> AsyncIterator[Any]:
        if self._before is None or self.loading:
            return
        self.loading = True
        yield
        viewer = (await self.get_state(AuthState))._user_id
        try:
            page = await asyncio.to_thread(
                read_collection, viewer, self.collection_id, self._before
            )
        except NotFound:  # made private or deleted meanwhile
            self._show(None)
            return
        finally:
            self.loading = False
        self.cards = append_new(self.cards, page.cards, lambda c: c.image_id)
        self._before, self.has_more = page.before, page.before is not None

    @rx.event
    def load_more_if_visible(self, visible: bool) -> Any:
        if visible and self.has_more and not self.loading:
            return CollectionDetailState.load_more
        return None

    @rx.event
    def set_edit_open(self, value: bool) -> None:
        self.edit_open = value
        self.title_error = self.description_error = ""

    async def _owner(self) -> tuple[int | None, Any]:
        """The owner's id, re-checked against the session; else what to answer instead."""
        if not self.is_owner:
            return None, rx.toast.error("Only the owner can change this collection.")
        # The session, not the id loaded with the page (it may have been revoked since).
        user_id = await checked_user_id(self)
        if user_id is None:  # the tab was signed out just now (this state reset)
            return None, session_ended(str(self.router.url.path or ""))
        return user_id, None

    @rx.event
    async def save(self, form: dict[str, Any]) -> Any:
        user_id, refusal = await self._owner()
        if user_id is None:
            return refusal
        title, description = str(form.get("title", "")), str(form.get("description", ""))
        try:
            await asyncio.to_thread(save_details, user_id, self.collection_id, title, description)
        except InvalidInput as exc:
            if exc.field == "description":
                self.description_error = exc.message
            else:
                self.title_error = exc.message
            return None
        except ServiceError as exc:
            return rx.toast.error(exc.message)
        self.title, self.description = title.strip(), description.strip()
        self.edit_open = False
        return rx.toast.success("Collection saved.")

    @rx.event
    async def set_private(self, private: bool) -> Any:
        user_id, refusal = await self._owner()
        if user_id is None:
            return refusal
        try:
            await asyncio.to_thread(set_privacy, user_id, self.collection_id, bool(private))
        except ServiceError as exc:
            return rx.toast.error(exc.message)
        self.private = bool(private)
        return rx.toast.success(
            "The collection is private." if private else "The collection is public."
        )

    @rx.event
    async def delete_collection(self) -> Any:
        user_id, refusal = await self._owner()
        if user_id is None:
            return refusal
        try:
            await asyncio.to_thread(delete, user_id, self.collection_id)
        except ServiceError as exc:
            return rx.toast.error(exc.message)
        self._show(None)
        return [rx.toast.success("Collection deleted."), rx.redirect("/collections")]

    @rx.event
    async def remove(self, image_id: int) -> Any:
        user_id, refusal = await self._owner()
        if user_id is None:
            return refusal
        try:
            await asyncio.to_thread(remove_image, user_id, self.collection_id, image_id)
        except ServiceError as exc:
            return rx.toast.error(exc.message)
        self.cards = [c for c in self.cards if c.image_id != image_id]
        return rx.toast.success("Removed from the collection.")
