"""`/u/[profile_name]`: a person's profile - avatar, counts, follow button, and tabs for their
images (keyset pages), public sets and collections (the owner sees their private ones too).

Reads go through `services.social.profiles` / `services.social.collections` in a thread; following
goes through `services.social.follows` in a background event, after the session re-check
(`state.auth.checked_user_id`) every state-changing handler makes.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from collections.abc import AsyncIterator
from datetime import datetime
from typing import Any
from urllib.parse import unquote

import reflex as rx

from pixel_studio.cache import get_cache
from pixel_studio.db import session_scope
from pixel_studio.services.errors import NotFound, ServiceError
from pixel_studio.services.social import collections as collections_service
from pixel_studio.services.social import follows as follows_service
from pixel_studio.services.social import profiles as profiles_service
from pixel_studio.services.social_sql import Cursor
from pixel_studio.services.studio.images import image_url
from pixel_studio.services.users import USERNAME_RE
from pixel_studio.state.auth import AuthState, checked_user_id, login_url, session_ended
from pixel_studio.state.image_cards import ImageCard, card_view
from pixel_studio.state.job_views import model_name
from pixel_studio.state.paging import append_new
from pixel_studio.state.sets import when
from pixel_studio.storage import get_storage
from pixel_studio.storage.base import is_private_key

log = logging.getLogger(__name__)
PAGE_SIZE = 24
TABS = ("images", "sets", "collections")


@dataclasses.dataclass(frozen=True)
class ProfileHeader:
    user_id: int
    username: str
    avatar: str
    joined: str
    image_count: int
    follower_count: int
    following_count: int
    is_owner: bool
    viewer_follows: bool


@dataclasses.dataclass(frozen=True)
class SetTile:
    set_id: int
    href: str
    prompt: str
    model_name: str
    image_count: int
    cover: str  # "" when the set shows no image to this viewer
    when: str


@dataclasses.dataclass(frozen=True)
class CollectionTile:
    collection_id: int
    href: str
    title: str
    private: bool
    image_count: int
    covers: list[str] = dataclasses.field(default_factory=list)


def username_from_path(path: str) -> str | None:
    """ "/u/ann", "/u/ann/", "/u/ann/followers" → "ann"; None when it cannot be a username."""
    parts = [p for p in path.split("/") if p]
    if len(parts) < 2 or parts[0] != "u":
        return None
    name = unquote(parts[1]).lower()  # usernames are stored lower-case
    return name if USERNAME_RE.match(name) else None


def joined(moment: datetime) -> str:
    return f"Joined {moment:%B} {moment.year}"


def header_of(profile: profiles_service.Profile) -> ProfileHeader:
    storage = get_storage()
    return ProfileHeader(
        user_id=profile.user_id,
        username=profile.username,
        avatar=storage.public_url(profile.avatar_key) if profile.avatar_key else "",
        joined=joined(profile.joined_at),
        image_count=profile.image_count,
        follower_count=profile.follower_count,
        following_count=profile.following_count,
        is_owner=profile.is_owner,
        viewer_follows=profile.viewer_follows,
    )


def read_header(viewer_id: int | None, username: str) -> ProfileHeader:
    """The profile header as this viewer sees it. NotFound for an unknown user."""
    with session_scope() as session:
        return header_of(profiles_service.get_profile(session, get_cache(), viewer_id, username))


def read_images(
    viewer_id: int | None, username: str, cursor: str | None
) -> tuple[list[ImageCard], str | None]:
    storage = get_storage()
    with session_scope() as session:
        page = profiles_service.profile_images(
            session, get_cache(), viewer_id, username, cursor=cursor, limit=PAGE_SIZE
        )
        return [card_view(storage, c, viewer_id) for c in page.items], page.next_cursor


def read_sets(
    viewer_id: int | None, username: str, cursor: str | None
) -> tuple[list[SetTile], str | None]:
    storage = get_storage()
    with session_scope() as session:
        page = profiles_service.profile_sets(
            session, get_cache(), viewer_id, username, cursor=cursor, limit=PAGE_SIZE
        )
    tiles = []
    for item in page.items:
        key = item.cover_thumbnail_key
        # Only the owner is ever given a private cover (the service's visibility rule).
        cover = ""
        if key:
            private = is_private_key(key)
            cover = storage.private_url(key, viewer_id) if private else storage.public_url(key)
        tiles.append(
            SetTile(
                set_id=item.id,
                href=f"/sets/{item.id}",
                prompt=item.prompt,
                model_name=model_name(item.model),
                image_count=item.image_count,
                cover=cover,
                when=when(item.created_at),
            )
        )
    return tiles, page.next_cursor


def read_collections(
    viewer_id: int | None, user_id: int, before: Cursor | None
) -> tuple[list[CollectionTile], Cursor | None]:
    storage = get_storage()
    with session_scope() as session:
        page = collections_service.list_collections(
            session, viewer_id, user_id, before=before, limit=PAGE_SIZE
        )
        tiles = [
            CollectionTile(
                collection_id=s.collection.id or 0,
                href=f"/collections/{s.collection.id}",
                title=s.collection.title,
                private=s.collection.private,
                image_count=s.image_count,
                covers=[image_url(storage, i, viewer_id, thumbnail=True) for i in s.covers],
            )
            for s in page.items
        ]
    return tiles, page.next_before


def set_follow(viewer_id: int, user_id: int, on: bool) -> follows_service.FollowState:
    """Follow or unfollow (idempotent); commits."""
    with session_scope() as session:
        change = follows_service.follow if on else follows_service.unfollow
        return change(session, get_cache(), viewer_id, user_id)


async def follow_viewer(state: rx.State) -> tuple[int | None, Any]:
    """The re-checked viewer for a follow button, or None and what to answer: a visitor is
    sent to log in; a tab whose session has ended is told so (and signed out)."""
    was_signed_in = (await state.get_state(AuthState)).signed_in
    viewer = await checked_user_id(state)
    if viewer is not None:
        return viewer, None
    path = str(state.router.url.path or "/explore")
    return None, session_ended(path) if was_signed_in else rx.redirect(login_url(path))


class ProfileState(rx.State):
    loaded: rx.Field[bool] = rx.field(False)
    found: rx.Field[bool] = rx.field(False)
    name: rx.Field[str] = rx.field("")  # the profile's username
    avatar: rx.Field[str] = rx.field("")
    joined: rx.Field[str] = rx.field("")
    image_count: rx.Field[int] = rx.field(0)
    follower_count: rx.Field[int] = rx.field(0)
    following_count: rx.Field[int] = rx.field(0)
    is_owner: rx.Field[bool] = rx.field(False)
    viewer_follows: rx.Field[bool] = rx.field(False)
    follow_busy: rx.Field[bool] = rx.field(False)
    tab: rx.Field[str] = rx.field("images")
    cards: rx.Field[list[ImageCard]] = rx.field(default_factory=list)
    has_more: rx.Field[bool] = rx.field(False)
    loading: rx.Field[bool] = rx.field(False)
    sets: rx.Field[list[SetTile]] = rx.field(default_factory=list)
    sets_loaded: rx.Field[bool] = rx.field(False)
    sets_more: rx.Field[bool] = rx.field(False)
    collections: rx.Field[list[CollectionTile]] = rx.field(default_factory=list)
    collections_loaded: rx.Field[bool] = rx.field(False)
    collections_more: rx.Field[bool] = rx.field(False)
    _header: ProfileHeader | None = None
    _viewer_id: int | None = None
    _cursor: str | None = None
    _sets_cursor: str | None = None
    _collections_before: Cursor | None = None

    @rx.var
    def followers_href(self) -> str:
        return f"/u/{self.name}/followers"

    @rx.var
    def following_href(self) -> str:
        return f"/u/{self.name}/following"

    def _show(self, header: ProfileHeader | None) -> None:
        self._header, self.found = header, header is not None
        h = header or ProfileHeader(0, "", "", "", 0, 0, 0, False, False)
        self.name, self.avatar, self.joined = h.username, h.avatar, h.joined
        self.image_count, self.follower_count = h.image_count, h.follower_count
        self.following_count, self.is_owner = h.following_count, h.is_owner
        self.viewer_follows = h.viewer_follows

    def _clear(self) -> None:
        self._show(None)
        self.cards, self.sets, self.collections = [], [], []
        self.has_more = self.sets_more = self.collections_more = False
        self.sets_loaded = self.collections_loaded = False
        self._cursor = self._sets_cursor = None
        self._collections_before = None

    @rx.event
    async def load(self) -> None:
        """on_load (after `AuthState.load_user`): the header and the first page of images."""
        self.loaded, self.loading, self.follow_busy, self.tab = False, False, False, "images"
        self._clear()
        username = username_from_path(str(self.router.url.path or ""))
        self._viewer_id = (await self.get_state(AuthState))._user_id
        header: ProfileHeader | None = None
        cards: list[ImageCard] = []
        cursor: str | None = None
        if username is not None:
            try:
                header = await asyncio.to_thread(read_header, self._viewer_id, username)
                cards, cursor = await asyncio.to_thread(
                    read_images, self._viewer_id, username, None
                )
            except NotFound:
                header = None
        self._show(header)
        self.cards, self._cursor, self.has_more = cards, cursor, cursor is not None
        self.loaded = True

    @rx.event
    async def set_tab(self, tab: str) -> None:
        """A tab was chosen: its first page the first time."""
        self.tab = tab if tab in TABS else "images"
        if self._header is None:
            return
        if self.tab == "sets" and not self.sets_loaded:
            await self._more_sets()
        elif self.tab == "collections" and not self.collections_loaded:
            await self._more_collections()

    async def _more_sets(self) -> None:
        assert self._header is not None
        tiles, cursor = await asyncio.to_thread(
            read_sets, self._viewer_id, self._header.username, self._sets_cursor
        )
        self.sets = append_new(self.sets, tiles, lambda t: t.set_id)
        self._sets_cursor, self.sets_more, self.sets_loaded = cursor, cursor is not None, True

    async def _more_collections(self) -> None:
        assert self._header is not None
        tiles, before = await asyncio.to_thread(
            read_collections, self._viewer_id, self._header.user_id, self._collections_before
        )
        self.collections = append_new(self.collections, tiles, lambda t: t.collection_id)
        self._collections_before, self.collections_more = before, before is not None
        self.collections_loaded = True

    @rx.event
    async def load_more_sets(self) -> None:
        if self._header is not None and self._sets_cursor is not None:
            await self._more_sets()

    @rx.event
    async def load_more_collections(self) -> None:
        if self._header is not None and self._collections_before is not None:
            await self._more_collections()

    @rx.event
    async def load_more(self) -> AsyncIterator[Any]:
        if self._header is None or self._cursor is None or self.loading:
            return
        self.loading = True
        yield
        try:
            cards, cursor = await asyncio.to_thread(
                read_images, self._viewer_id, self._header.username, self._cursor
            )
        except ServiceError as exc:
            self.loading = False
            yield rx.toast.error(exc.message)
            return
        self.cards = append_new(self.cards, cards, lambda c: c.image_id)
        self._cursor, self.has_more, self.loading = cursor, cursor is not None, False

    @rx.event
    def load_more_if_visible(self, visible: bool) -> Any:
        if visible and self.has_more and not self.loading:
            return ProfileState.load_more
        return None

    @rx.event(background=True)
    async def toggle_follow(self) -> Any:
        """Follow or unfollow this profile's user (not oneself; visitors go to log in)."""
        async with self:
            if self.follow_busy or self._header is None or self._header.is_owner:
                return None
            viewer, answer = await follow_viewer(self)
            if viewer is None:
                return answer
            user_id, on = self._header.user_id, not self._header.viewer_follows
            self.follow_busy = True
        try:
            result = await asyncio.to_thread(set_follow, viewer, user_id, on)
        except ServiceError as exc:
            async with self:
                self.follow_busy = False
            return rx.toast.error(exc.message)
        except Exception:
            log.exception("could not change the follow of user %s", user_id)
            async with self:
                self.follow_busy = False
            return rx.toast.error("That did not work. Please try again.")
        async with self:
            self.follow_busy = False
            if self._header is not None and self._header.user_id == user_id:
                self._show(
                    dataclasses.replace(
                        self._header,
                        viewer_follows=result.following,
                        follower_count=result.follower_count,
                    )
                )
        return None
