"""Response bodies of /api/v1 (the OpenAPI schema is built from these) and keyset cursors.

Services page with (datetime, id) tuples; the API hands them out as opaque strings, like the
explore cursors, so a client never builds one and a wrong one is a clear 400.
"""

from __future__ import annotations

import base64
import binascii
import json
from datetime import datetime
from typing import Any

from pydantic import BaseModel

from pixel_studio.models import Image
from pixel_studio.services.errors import InvalidInput
from pixel_studio.services.social.cards import ImageCard
from pixel_studio.storage import Storage

MAX_CURSOR = 200


def encode_cursor(cursor: tuple[datetime, int] | None) -> str | None:
    if cursor is None:
        return None
    raw = json.dumps([cursor[0].isoformat(), cursor[1]]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str | None) -> tuple[datetime, int] | None:
    """The (time, id) a cursor of ours holds; InvalidInput (field `cursor`) otherwise."""
    if not cursor:
        return None
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        when, row_id = json.loads(raw)
        at = datetime.fromisoformat(when)
        if at.tzinfo is None or not isinstance(row_id, int) or isinstance(row_id, bool):
            raise ValueError
        return at, row_id
    except (ValueError, TypeError, binascii.Error, UnicodeDecodeError):
        raise InvalidInput("That page link is not valid.", field="cursor") from None


def avatar_url(storage: Storage, key: str | None) -> str | None:
    return storage.public_url(key) if key else None


def file_url(storage: Storage, key: str, private: bool, viewer_id: int | None) -> str:
    """Public files get their stable URL; a private one (only ever handed to its owner, after
    the visibility rule) a short-lived URL bound to them."""
    return storage.private_url(key, viewer_id, 300) if private else storage.public_url(key)


class MeOut(BaseModel):
    id: int
    username: str
    email: str
    credits: int
    default_private: bool
    avatar_url: str | None
    created_at: datetime
    followers: int
    following: int


class ImageSummaryOut(BaseModel):
    id: int
    title: str | None
    prompt: str
    model: str
    width: int
    height: int
    seed: int | None
    private: bool
    like_count: int
    comment_count: int
    created_at: datetime
    thumbnail_url: str
    url: str


def image_summary(storage: Storage, image: Image, viewer_id: int | None) -> ImageSummaryOut:
    return ImageSummaryOut(
        id=image.id or 0,
        title=image.title,
        prompt=image.prompt,
        model=image.model,
        width=image.width,
        height=image.height,
        seed=image.seed,
        private=image.private,
        like_count=image.like_count,
        comment_count=image.comment_count,
        created_at=image.created_at,
        thumbnail_url=file_url(storage, image.thumbnail_key, image.private, viewer_id),
        url=file_url(storage, image.original_key, image.private, viewer_id),
    )


class UserCardOut(BaseModel):
    id: int
    title: str | None
    prompt: str
    model: str
    style: str | None
    width: int
    height: int
    private: bool
    like_count: int
    comment_count: int
    created_at: datetime
    creator_username: str
    thumbnail_url: str
    url: str


class UserImagesOut(BaseModel):
    items: list[UserCardOut]
    next_cursor: str | None


class JobOut(BaseModel):
    id: str
    status: str  # queued, running, succeeded, failed, cancelled
    done: int
    total: int
    credits_charged: int
    credits_refunded: int
    error: str | None
    message: str  # what the pages say about a finished job; "" while it runs
    params: dict[str, Any]
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    set_id: int | None
    images: list[ImageSummaryOut]


class LikeOut(BaseModel):
    image_id: int
    liked: bool
    like_count: int
    changed: bool  # False when it already was so


class CommentOut(BaseModel):
    id: int
    image_id: int
    parent_id: int | None
    username: str | None  # None once deleted
    body: str
    deleted: bool
    like_count: int
    liked: bool
    created_at: datetime
    depth: int


class CommentsOut(BaseModel):
    items: list[CommentOut]  # reading order: each reply right after its parent
    comment_count: int
    truncated: bool


class CollectionOut(BaseModel):
    id: int
    user_id: int
    title: str
    description: str
    private: bool
    created_at: datetime
    is_owner: bool
    image_count: int | None = None  # images the viewer may see in it (in listings)


class CollectionsOut(BaseModel):
    items: list[CollectionOut]
    next_cursor: str | None


class CollectionImagesOut(BaseModel):
    collection: CollectionOut
    items: list[ImageSummaryOut]
    next_cursor: str | None


class CollectionEntryOut(BaseModel):
    collection_id: int
    image_id: int
    changed: bool  # False when it already was so


class FollowOut(BaseModel):
    user_id: int
    following: bool
    follower_count: int
    changed: bool


class FollowRowOut(BaseModel):
    user_id: int
    username: str
    avatar_url: str | None
    followed_at: datetime
    viewer_follows: bool


class FollowsOut(BaseModel):
    items: list[FollowRowOut]
    next_cursor: str | None


class CreditOut(BaseModel):
    id: int
    amount: int
    kind: str
    note: str
    balance_after: int
    created_at: datetime
    job_id: str | None


class CreditsOut(BaseModel):
    balance: int
    items: list[CreditOut]
    next_cursor: str | None


def card_out(storage: Storage, card: ImageCard, who: int | None) -> UserCardOut:
    """An image card as the API shows it to `who` (file URLs by the visibility rule)."""
    return UserCardOut(
        id=card.id,
        title=card.title,
        prompt=card.prompt,
        model=card.model,
        style=card.style,
        width=card.width,
        height=card.height,
        private=card.private,
        like_count=card.like_count,
        comment_count=card.comment_count,
        created_at=card.created_at,
        creator_username=card.creator_username,
        thumbnail_url=file_url(storage, card.thumbnail_key, card.private, who),
        url=file_url(storage, card.original_key, card.private, who),
    )
