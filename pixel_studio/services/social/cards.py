"""Image cards and keyset cursors shared by explore, the following feed and profiles.

A card is what a grid shows of one image. Pages are keyset-paginated on (sort key, id): the
cursor is an opaque string (base64 of the last card's key), never an OFFSET.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import ColumnElement, Integer, Select, literal, tuple_
from sqlmodel import col, select

from pixel_studio.models import Image, User
from pixel_studio.services.errors import InvalidInput

Sort = Literal["recent", "liked", "trending"]


@dataclass(frozen=True)
class ImageCard:
    id: int
    thumbnail_key: str  # services.studio.images.image_url(storage, card, viewer, thumbnail=True)
    original_key: str
    width: int
    height: int
    prompt: str
    title: str | None
    model: str
    style: str | None
    like_count: int
    comment_count: int
    created_at: datetime
    user_id: int
    creator_username: str
    creator_avatar_key: str | None
    private: bool  # only ever True on the owner's own views


@dataclass(frozen=True)
class CardPage:
    items: list[ImageCard]
    next_cursor: str | None  # pass back as `cursor` for the next page; None on the last page


def sort_column(sort: Sort) -> Any:
    """The stored key a sort pages on (each has a partial index over public images)."""
    return {"recent": Image.created_at, "liked": Image.like_count, "trending": Image.hot}[sort]


def card_select() -> Select[Any]:
    return select(  # type: ignore[call-overload, no-any-return]
        Image.id,
        Image.thumbnail_key,
        Image.original_key,
        Image.width,
        Image.height,
        Image.prompt,
        Image.title,
        Image.model,
        Image.style,
        Image.like_count,
        Image.comment_count,
        Image.created_at,
        Image.user_id,
        User.username,
        User.avatar_key,
        Image.private,
        Image.hot,  # not on the card: the trending cursor's key
    ).join(User, col(User.id) == col(Image.user_id))


def to_card(row: Sequence[Any]) -> ImageCard:
    return ImageCard(*row)


def _key_of(card: ImageCard, sort: Sort, hot: float | None) -> Any:
    if sort == "recent":
        return card.created_at.isoformat()
    if sort == "liked":
        return card.like_count
    return hot


def encode_cursor(sort: Sort, key: Any, image_id: int) -> str:
    raw = json.dumps([sort, key, image_id], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str, sort: Sort) -> tuple[Any, int]:
    """The (key, id) a cursor points after; InvalidInput if it is not one of ours for `sort`."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        kind, key, image_id = json.loads(raw)
        if kind != sort or not isinstance(image_id, int):
            raise ValueError(kind)
        if sort == "recent":
            key = datetime.fromisoformat(key)
        elif sort == "liked":
            key = int(key)
        else:
            key = float(key)
    except (ValueError, TypeError, binascii.Error, json.JSONDecodeError, UnicodeDecodeError):
        raise InvalidInput("That page link is not valid any more.", field="cursor") from None
    return key, image_id


def after(sort: Sort, cursor: str | None) -> ColumnElement[bool] | None:
    """The keyset condition for the page after `cursor` in (key DESC, id DESC) order."""
    if cursor is None:
        return None
    key, image_id = decode_cursor(cursor, sort)
    return tuple_(sort_column(sort), col(Image.id)) < tuple_(key, image_id)


def limit_of(n: int) -> ColumnElement[int]:
    """A LIMIT written into the SQL, not sent as a parameter: PostgreSQL then plans (and
    psycopg prepares) the page's statement for that number of rows; a `LIMIT $1` costs about
    0.1 ms more per call. Still one cached compilation: only the number is rendered in."""
    return literal(n, Integer, literal_execute=True)


def order_by(sort: Sort) -> tuple[Any, Any]:
    return sort_column(sort).desc(), col(Image.id).desc()


def page_of(rows: Sequence[Sequence[Any]], limit: int, sort: Sort) -> CardPage:
    """Rows of card_select() fetched with LIMIT limit + 1: one more tells there is a next page."""
    more = len(rows) > limit
    rows = rows[:limit]
    cards = [to_card(row[:16]) for row in rows]
    next_cursor = None
    if more and cards:
        last = rows[-1]
        hot = float(last[16])
        next_cursor = encode_cursor(sort, _key_of(cards[-1], sort, hot), cards[-1].id)
    return CardPage(items=cards, next_cursor=next_cursor)
