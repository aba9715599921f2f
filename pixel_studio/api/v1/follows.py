"""Follow and unfollow, and a user's followers and following, under /api/v1."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query
from pydantic import BaseModel, Field

from pixel_studio.api.deps import CacheDep, SessionDep, SettingsDep
from pixel_studio.api.v1.auth import TokenUser, Viewer, uid, viewer_id
from pixel_studio.api.v1.errors import BAD_INPUT, COMMON_ERRORS, NOT_FOUND
from pixel_studio.api.v1.schemas import (
    MAX_CURSOR,
    FollowOut,
    FollowRowOut,
    FollowsOut,
    avatar_url,
    decode_cursor,
    encode_cursor,
)
from pixel_studio.models import User
from pixel_studio.services import users
from pixel_studio.services.errors import NotFound
from pixel_studio.services.social import follows
from pixel_studio.storage import get_storage

router = APIRouter(tags=["follows"], responses={**COMMON_ERRORS, **NOT_FOUND, **BAD_INPUT})
Username = Annotated[str, Path(min_length=1, max_length=40)]


class PageQuery(BaseModel):
    cursor: str | None = Field(default=None, max_length=MAX_CURSOR)
    limit: int = Field(default=30, ge=1, le=100)


def _user(session: SessionDep, username: str) -> int:
    found: User | None = users.find_by_username(session, username)
    if found is None or found.id is None:
        raise NotFound("No such user.")
    return found.id


def _state(s: follows.FollowState) -> FollowOut:
    return FollowOut(
        user_id=s.user_id, following=s.following, follower_count=s.follower_count, changed=s.changed
    )


@router.put("/users/{username}/follow", response_model=FollowOut)
def follow(username: Username, user: TokenUser, session: SessionDep, cache: CacheDep) -> FollowOut:
    """Follow a user (idempotent; not yourself)."""
    return _state(follows.follow(session, cache, uid(user), _user(session, username)))


@router.delete("/users/{username}/follow", response_model=FollowOut)
def unfollow(
    username: Username, user: TokenUser, session: SessionDep, cache: CacheDep
) -> FollowOut:
    return _state(follows.unfollow(session, cache, uid(user), _user(session, username)))


def _page(page: follows.FollowPage, settings: SettingsDep) -> FollowsOut:
    storage = get_storage(settings)
    items = [
        FollowRowOut(
            user_id=r.user_id,
            username=r.username,
            avatar_url=avatar_url(storage, r.avatar_key),
            followed_at=r.followed_at,
            viewer_follows=r.viewer_follows,
        )
        for r in page.items
    ]
    return FollowsOut(items=items, next_cursor=encode_cursor(page.next_before))


@router.get("/users/{username}/followers", response_model=FollowsOut)
def followers(
    username: Username,
    query: Annotated[PageQuery, Query()],
    viewer: Viewer,
    session: SessionDep,
    settings: SettingsDep,
) -> FollowsOut:
    page = follows.followers(
        session,
        viewer_id(viewer),
        _user(session, username),
        before=decode_cursor(query.cursor),
        limit=query.limit,
    )
    return _page(page, settings)


@router.get("/users/{username}/following", response_model=FollowsOut)
def following(
    username: Username,
    query: Annotated[PageQuery, Query()],
    viewer: Viewer,
    session: SessionDep,
    settings: SettingsDep,
) -> FollowsOut:
    page = follows.following(
        session,
        viewer_id(viewer),
        _user(session, username),
        before=decode_cursor(query.cursor),
        limit=query.limit,
    )
    return _page(page, settings)
