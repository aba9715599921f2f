"""`/u/[profile_name]/followers` and `/following`: the people on either side of a person's
follows, newest first, keyset pages, a follow button on every row but the viewer's own."""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from typing import Any

import reflex as rx

from pixel_studio.db import session_scope
from pixel_studio.services import users as users_service
from pixel_studio.services.errors import NotFound, ServiceError
from pixel_studio.services.social import follows as follows_service
from pixel_studio.services.social_sql import Cursor
from pixel_studio.state.auth import AuthState
from pixel_studio.state.paging import append_new
from pixel_studio.state.profile import follow_viewer, set_follow, username_from_path
from pixel_studio.storage import get_storage

log = logging.getLogger(__name__)
PAGE_SIZE = 30
KINDS = ("followers", "following")


@dataclasses.dataclass(frozen=True)
class PersonRow:
    user_id: int
    username: str
    href: str
    avatar: str
    viewer_follows: bool
    is_viewer: bool  # the viewer's own row: no button


def kind_from_path(path: str) -> str:
    last = path.rstrip("/").rsplit("/", 1)[-1]
    return last if last in KINDS else "followers"


def read_rows(
    viewer_id: int | None, username: str, kind: str, before: Cursor | None
) -> tuple[int, list[PersonRow], Cursor | None]:
    """(the profile's user id, one page of rows, the next cursor). NotFound for no such user."""
    storage = get_storage()
    with session_scope() as session:
        user = users_service.find_by_username(session, username)
        if user is None or user.id is None:
            raise NotFound("No such user.")
        user_id = user.id
        lister = follows_service.followers if kind == "followers" else follows_service.following
        page = lister(session, viewer_id, user_id, before=before, limit=PAGE_SIZE)
    rows = [
        PersonRow(
            user_id=r.user_id,
            username=r.username,
            href=f"/u/{r.username}",
            avatar=storage.public_url(r.avatar_key) if r.avatar_key else "",
            viewer_follows=r.viewer_follows,
            is_viewer=r.user_id == viewer_id,
        )
        for r in page.items
    ]
    return user_id, rows, page.next_before


class FollowListState(rx.State):
    loaded: rx.Field[bool] = rx.field(False)
    found: rx.Field[bool] = rx.field(False)
    name: rx.Field[str] = rx.field("")  # whose followers / following
    kind: rx.Field[str] = rx.field("followers")
    rows: rx.Field[list[PersonRow]] = rx.field(default_factory=list)
    has_more: rx.Field[bool] = rx.field(False)
    loading: rx.Field[bool] = rx.field(False)
    busy_user: rx.Field[int] = rx.field(0)  # the row whose follow button is working
    _viewer_id: int | None = None
    _before: Cursor | None = None

    @rx.var
    def heading(self) -> str:
        if self.kind == "followers":
            return f"People following {self.name}"
        return f"People {self.name} follows"

    @rx.var
    def profile_href(self) -> str:
        return f"/u/{self.name}"

    @rx.event
    async def load(self) -> None:
        path = str(self.router.url.path or "")
        self.loaded, self.loading, self.busy_user = False, False, 0
        self.kind, self.rows, self._before = kind_from_path(path), [], None
        username = username_from_path(path)
        self.name = username or ""
        self._viewer_id = (await self.get_state(AuthState))._user_id
        self.found = False
        if username is not None:
            try:
                _, rows, before = await asyncio.to_thread(
                    read_rows, self._viewer_id, username, self.kind, None
                )
                self.rows, self._before, self.found = rows, before, True
            except NotFound:
                pass
        self.has_more = self._before is not None
        self.loaded = True

    @rx.event
    async def load_more(self) -> None:
        if not self.found or self._before is None or self.loading:
            return
        _, rows, before = await asyncio.to_thread(
            read_rows, self._viewer_id, self.name, self.kind, self._before
        )
        self.rows = append_new(self.rows, rows, lambda r: r.user_id)
        self._before, self.has_more = before, before is not None

    @rx.event(background=True)
    async def toggle_follow(self, user_id: int) -> Any:
        """The follow button of one row: follow that person, or stop."""
        async with self:
            row = next((r for r in self.rows if r.user_id == user_id), None)
            if row is None or row.is_viewer or self.busy_user:
                return None
            viewer, answer = await follow_viewer(self)
            if viewer is None:
                return answer
            self.busy_user = user_id
        try:
            result = await asyncio.to_thread(set_follow, viewer, user_id, not row.viewer_follows)
        except ServiceError as exc:
            async with self:
                self.busy_user = 0
            return rx.toast.error(exc.message)
        except Exception:
            log.exception("could not change the follow of user %s", user_id)
            async with self:
                self.busy_user = 0
            return rx.toast.error("That did not work. Please try again.")
        async with self:
            self.busy_user = 0
            self.rows = [
                dataclasses.replace(r, viewer_follows=result.following)
                if r.user_id == user_id
                else r
                for r in self.rows
            ]
        return None
