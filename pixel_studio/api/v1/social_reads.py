"""The token owner's feed, liked images and notifications under /api/v1 (issue 15).

The same services as /feed, /likes and the bell: the feed holds only public images of the
people you follow; your liked list only images you may see now; notifications only those
about nothing or about an image you may see (an image made private later drops out).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query

from pixel_studio.api.deps import CacheDep, SessionDep, SettingsDep
from pixel_studio.api.v1.auth import TokenUser, uid
from pixel_studio.api.v1.errors import BAD_INPUT, COMMON_ERRORS, NOT_FOUND
from pixel_studio.api.v1.schemas import card_out, decode_cursor, encode_cursor
from pixel_studio.api.v1.schemas_more import (
    MAX_ID,
    CardsOut,
    NotificationOut,
    NotificationsOut,
    PageQuery,
    UnreadOut,
)
from pixel_studio.services.social import feed, likes, notifications
from pixel_studio.storage import get_storage

router = APIRouter(tags=["social"], responses={**COMMON_ERRORS, **BAD_INPUT})


@router.get("/feed", response_model=CardsOut)
def following_feed(
    query: Annotated[PageQuery, Query()],
    user: TokenUser,
    session: SessionDep,
    cache: CacheDep,
    settings: SettingsDep,
) -> CardsOut:
    """Public images of the people you follow, newest first."""
    page = feed.following_feed(session, cache, uid(user), cursor=query.cursor, limit=query.limit)
    storage = get_storage(settings)
    return CardsOut(
        items=[card_out(storage, c, uid(user)) for c in page.items], next_cursor=page.next_cursor
    )


@router.get("/me/likes", response_model=CardsOut)
def liked_images(
    query: Annotated[PageQuery, Query()],
    user: TokenUser,
    session: SessionDep,
    cache: CacheDep,
    settings: SettingsDep,
) -> CardsOut:
    """The images you liked that you may still see, newest like first."""
    page = likes.liked_images(
        session, cache, uid(user), before=decode_cursor(query.cursor), limit=query.limit
    )
    storage = get_storage(settings)
    return CardsOut(
        items=[card_out(storage, c, uid(user)) for c in page.items],
        next_cursor=encode_cursor(page.next_before),
    )


@router.get("/notifications", response_model=NotificationsOut)
def list_notifications(
    query: Annotated[PageQuery, Query()], user: TokenUser, session: SessionDep
) -> NotificationsOut:
    """Your notifications, newest first, and how many are unread."""
    page = notifications.list_notifications(
        session, uid(user), before=decode_cursor(query.cursor), limit=query.limit
    )
    items = [
        NotificationOut(
            id=n.id,
            kind=n.kind,
            created_at=n.created_at,
            read=n.read,
            actor_id=n.actor_id,
            actor_username=n.actor_username,
            image_id=n.image_id,
            comment_id=n.comment_id,
            comment_deleted=n.comment_deleted,
        )
        for n in page.items
    ]
    return NotificationsOut(
        items=items, unread=page.unread, next_cursor=encode_cursor(page.next_before)
    )


@router.post("/notifications/read", response_model=UnreadOut)
def mark_all_read(user: TokenUser, session: SessionDep) -> UnreadOut:
    """Mark every notification read (your open pages' bells follow)."""
    return UnreadOut(unread=notifications.mark_all_read(session, uid(user)))


@router.post("/notifications/{notification_id}/read", response_model=UnreadOut, responses=NOT_FOUND)
def mark_read(
    notification_id: Annotated[int, Path(ge=1, le=MAX_ID)], user: TokenUser, session: SessionDep
) -> UnreadOut:
    """Mark one of your notifications read; the unread count left."""
    return UnreadOut(unread=notifications.mark_read(session, uid(user), notification_id))
