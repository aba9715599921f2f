"""The following feed: public images of the people the viewer follows, newest first."""

from __future__ import annotations

from pydantic import TypeAdapter
from sqlmodel import Session, col, select

from pixel_studio.cache import Cache
from pixel_studio.models import Follow, Image
from pixel_studio.services import cached
from pixel_studio.services.social.cards import CardPage, after, card_select, order_by, page_of
from pixel_studio.services.visibility import visible_to

FEED_TTL = 60  # seconds; follows and image changes also bump the scopes
MAX_LIMIT = 60
_PAGE = TypeAdapter(CardPage)


def following_feed(
    session: Session, cache: Cache, viewer_id: int, *, cursor: str | None = None, limit: int = 24
) -> CardPage:
    """One page of the viewer's feed, cached per viewer (scopes: whom they follow, and
    public images). InvalidInput for a cursor that is not ours."""
    limit = max(1, min(limit, MAX_LIMIT))
    return cached.get_or_load(
        cache,
        f"feed:{viewer_id}:{limit}:{cursor or ''}",
        [cached.follows_scope(viewer_id), cached.PUBLIC_IMAGES],
        FEED_TTL,
        lambda: load_following_feed(session, viewer_id, cursor=cursor, limit=limit),
        _PAGE,
    )


def load_following_feed(
    session: Session, viewer_id: int, *, cursor: str | None = None, limit: int = 24
) -> CardPage:
    followees = select(col(Follow.followee_id)).where(col(Follow.follower_id) == viewer_id)
    # Public only, even where the viewer could see more: a feed shows what others shared.
    stmt = card_select().where(visible_to(None, Image), col(Image.user_id).in_(followees))
    keyset = after("recent", cursor)
    if keyset is not None:
        stmt = stmt.where(keyset)
    stmt = stmt.order_by(*order_by("recent")).limit(limit + 1)
    return page_of(session.execute(stmt).all(), limit, "recent")
