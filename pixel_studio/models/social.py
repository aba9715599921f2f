"""Social: likes, comments and their likes, collections, follows, notifications."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    CheckConstraint,
    Index,
    UniqueConstraint,
)
from sqlmodel import Field

from pixel_studio.db import utcnow
from pixel_studio.models.base import SQLModel


class Like(SQLModel, table=True):
    __tablename__ = "image_like"
    # "Images I liked, newest like first" walks this index (services/social/likes.liked_images).
    __table_args__ = (
        Index("ix_image_like_user_id_created_at", "user_id", "created_at", "image_id"),
    )

    user_id: int = Field(foreign_key="user_account.id", primary_key=True, ondelete="CASCADE")
    image_id: int = Field(foreign_key="image.id", primary_key=True, index=True, ondelete="CASCADE")
    created_at: datetime = Field(default_factory=utcnow)


class Comment(SQLModel, table=True):
    __tablename__ = "comment"

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user_account.id", index=True, ondelete="CASCADE")
    image_id: int = Field(foreign_key="image.id", index=True, ondelete="CASCADE")
    parent_id: int | None = Field(
        default=None, foreign_key="comment.id", index=True, ondelete="CASCADE"
    )
    body: str = Field(max_length=2000)
    deleted: bool = Field(default=False)
    like_count: int = Field(default=0)
    created_at: datetime = Field(default_factory=utcnow)


class CommentLike(SQLModel, table=True):
    __tablename__ = "comment_like"

    user_id: int = Field(foreign_key="user_account.id", primary_key=True, ondelete="CASCADE")
    comment_id: int = Field(
        foreign_key="comment.id", primary_key=True, index=True, ondelete="CASCADE"
    )
    created_at: datetime = Field(default_factory=utcnow)


class Collection(SQLModel, table=True):
    __tablename__ = "collection"

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user_account.id", index=True, ondelete="CASCADE")
    title: str = Field(max_length=100)
    description: str = Field(default="", max_length=1000)
    private: bool = Field(default=False)
    created_at: datetime = Field(default_factory=utcnow)


class CollectionImage(SQLModel, table=True):
    __tablename__ = "collection_image"
    __table_args__ = (UniqueConstraint("collection_id", "image_id"),)

    id: int | None = Field(default=None, primary_key=True)
    collection_id: int = Field(foreign_key="collection.id", index=True, ondelete="CASCADE")
    image_id: int = Field(foreign_key="image.id", index=True, ondelete="CASCADE")
    created_at: datetime = Field(default_factory=utcnow)


class Follow(SQLModel, table=True):
    __tablename__ = "follow"
    __table_args__ = (
        CheckConstraint("follower_id <> followee_id", name="not_self"),
        # Followers / following lists, newest first, keyset-paged (services/social/follows.py).
        Index("ix_follow_follower_id_created_at", "follower_id", "created_at", "followee_id"),
        Index("ix_follow_followee_id_created_at", "followee_id", "created_at", "follower_id"),
    )

    follower_id: int = Field(foreign_key="user_account.id", primary_key=True, ondelete="CASCADE")
    followee_id: int = Field(
        foreign_key="user_account.id", primary_key=True, index=True, ondelete="CASCADE"
    )
    created_at: datetime = Field(default_factory=utcnow)


class Notification(SQLModel, table=True):
    __tablename__ = "notification"
    __table_args__ = (Index("ix_notification_user_id_created_at", "user_id", "created_at"),)

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user_account.id", ondelete="CASCADE")  # leads an index
    actor_id: int | None = Field(
        default=None, foreign_key="user_account.id", index=True, ondelete="CASCADE"
    )
    kind: str = Field(max_length=32)
    image_id: int | None = Field(
        default=None, foreign_key="image.id", index=True, ondelete="CASCADE"
    )
    comment_id: int | None = Field(
        default=None, foreign_key="comment.id", index=True, ondelete="CASCADE"
    )
    read: bool = Field(default=False)
    created_at: datetime = Field(default_factory=utcnow)
