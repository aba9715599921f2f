"""A user's images, likes and comments under /api/v1.

Listing public images with search and filters is `GET /api/v1/explore` and one image is
`GET /api/v1/images/{id}` (api/discovery.py); this adds a user's own listing (the owner's
private images too, when the token is theirs), like/unlike and comments, through the same
services as the pages: an image the caller may not see is a 404, whoever asks.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Response
from pydantic import BaseModel, ConfigDict, Field

from pixel_studio.api.deps import CacheDep, SessionDep, SettingsDep
from pixel_studio.api.v1.auth import TokenUser, Viewer, uid, viewer_id
from pixel_studio.api.v1.errors import BAD_INPUT, COMMON_ERRORS, NOT_FOUND, doc
from pixel_studio.api.v1.schemas import (
    CommentOut,
    CommentsOut,
    LikeOut,
    UserCardOut,
    UserImagesOut,
    file_url,
)
from pixel_studio.services.social import comments, likes, profiles
from pixel_studio.services.social.comments import MAX_BODY
from pixel_studio.storage import get_storage

router = APIRouter(tags=["images"], responses={**COMMON_ERRORS, **NOT_FOUND})
MAX_ID = 2**31 - 1
ImageId = Annotated[int, Path(ge=1, le=MAX_ID)]
CommentId = Annotated[int, Path(ge=1, le=MAX_ID)]
Username = Annotated[str, Path(min_length=1, max_length=40)]


class UserImagesQuery(BaseModel):
    cursor: str | None = Field(default=None, max_length=400)
    limit: int = Field(default=24, ge=1, le=60)


class CommentIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    body: str = Field(min_length=1, max_length=MAX_BODY)
    parent_id: int | None = Field(default=None, ge=1, le=MAX_ID)


@router.get("/users/{username}/images", response_model=UserImagesOut, responses=BAD_INPUT)
def user_images(
    username: Username,
    query: Annotated[UserImagesQuery, Query()],
    viewer: Viewer,
    session: SessionDep,
    cache: CacheDep,
    settings: SettingsDep,
) -> UserImagesOut:
    """A user's images, newest first (their private ones too when the token is theirs)."""
    who = viewer_id(viewer)
    page = profiles.profile_images(
        session, cache, who, username, cursor=query.cursor, limit=query.limit
    )
    storage = get_storage(settings)
    items = [
        UserCardOut(
            id=c.id,
            title=c.title,
            prompt=c.prompt,
            model=c.model,
            style=c.style,
            width=c.width,
            height=c.height,
            private=c.private,
            like_count=c.like_count,
            comment_count=c.comment_count,
            created_at=c.created_at,
            creator_username=c.creator_username,
            thumbnail_url=file_url(storage, c.thumbnail_key, c.private, who),
            url=file_url(storage, c.original_key, c.private, who),
        )
        for c in page.items
    ]
    return UserImagesOut(items=items, next_cursor=page.next_cursor)


def _like_out(state: likes.LikeState) -> LikeOut:
    return LikeOut(
        image_id=state.image_id,
        liked=state.liked,
        like_count=state.like_count,
        changed=state.changed,
    )


@router.put("/images/{image_id}/like", response_model=LikeOut)
def like(image_id: ImageId, user: TokenUser, session: SessionDep, cache: CacheDep) -> LikeOut:
    """Like an image (idempotent: `changed` is false when it was already liked)."""
    return _like_out(likes.like_image(session, cache, uid(user), image_id))


@router.delete("/images/{image_id}/like", response_model=LikeOut)
def unlike(image_id: ImageId, user: TokenUser, session: SessionDep, cache: CacheDep) -> LikeOut:
    """Take a like back (idempotent)."""
    return _like_out(likes.unlike_image(session, cache, uid(user), image_id))


def _comment_out(c: comments.CommentView) -> CommentOut:
    return CommentOut(
        id=c.id,
        image_id=c.image_id,
        parent_id=c.parent_id,
        username=c.username,
        body=c.body,
        deleted=c.deleted,
        like_count=c.like_count,
        liked=c.liked,
        created_at=c.created_at,
        depth=c.depth,
    )


@router.get("/images/{image_id}/comments", response_model=CommentsOut)
def list_comments(image_id: ImageId, viewer: Viewer, session: SessionDep) -> CommentsOut:
    """The image's comments, oldest first, each reply right after its parent (`depth`)."""
    tree = comments.list_comments(session, viewer_id(viewer), image_id)
    return CommentsOut(
        items=[_comment_out(c) for c in tree.flat],
        comment_count=tree.comment_count,
        truncated=tree.truncated,
    )


@router.post(
    "/images/{image_id}/comments", status_code=201, response_model=CommentOut, responses=BAD_INPUT
)
def add_comment(
    image_id: ImageId, body: CommentIn, user: TokenUser, session: SessionDep, cache: CacheDep
) -> CommentOut:
    """Comment on an image, or reply to one of its comments with `parent_id`."""
    view = comments.add_comment(
        session, cache, uid(user), image_id, body.body, parent_id=body.parent_id
    )
    return _comment_out(view)


@router.delete(
    "/comments/{comment_id}",
    status_code=204,
    response_class=Response,
    responses={403: doc("Someone else's comment.")},
)
def delete_comment(
    comment_id: CommentId, user: TokenUser, session: SessionDep, cache: CacheDep
) -> Response:
    """Delete your own comment (its replies stay, under a placeholder)."""
    comments.delete_comment(session, cache, uid(user), comment_id)
    return Response(status_code=204)
