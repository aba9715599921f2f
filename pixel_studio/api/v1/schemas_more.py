"""Response bodies of the issue-15 routes of /api/v1: sets, the feed and liked images,
notifications, comparisons and webhooks (api/v1/schemas.py holds the earlier ones)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

from pixel_studio.api.v1.schemas import ImageSummaryOut, JobOut, UserCardOut

MAX_ID = 2**31 - 1


class PageQuery(BaseModel):
    cursor: str | None = Field(default=None, max_length=200)
    limit: int = Field(default=24, ge=1, le=60)


class CardsOut(BaseModel):
    items: list[UserCardOut]
    next_cursor: str | None


class SetSummaryOut(BaseModel):
    id: int
    job_id: str
    prompt: str
    model: str
    created_at: datetime
    status: str  # the job's: queued, running, succeeded, failed, cancelled
    done: int
    total: int
    image_count: int
    thumbnails: list[ImageSummaryOut]  # the first few images, in the order they were made


class SetsOut(BaseModel):
    items: list[SetSummaryOut]
    next_cursor: str | None


class SetOut(BaseModel):
    id: int
    prompt: str
    model: str
    created_at: datetime
    is_owner: bool
    params: dict[str, Any]
    job: JobOut | None  # the owner's view only
    images: list[ImageSummaryOut]  # only those the caller may see


class ImagePatchOut(BaseModel):
    image: ImageSummaryOut


class CancelOut(BaseModel):
    job: JobOut


class NotificationOut(BaseModel):
    id: int
    kind: str  # like, comment, reply, follow
    created_at: datetime
    read: bool
    actor_id: int | None
    actor_username: str | None
    image_id: int | None
    comment_id: int | None
    comment_deleted: bool


class NotificationsOut(BaseModel):
    items: list[NotificationOut]
    unread: int
    next_cursor: str | None


class UnreadOut(BaseModel):
    unread: int


class ComparisonOut(BaseModel):
    set_ids: list[int]
    jobs: list[JobOut]  # one per column, in the order asked for


class WebhookOut(BaseModel):
    id: int
    url: str
    events: list[str]
    created_at: datetime


class WebhooksOut(BaseModel):
    items: list[WebhookOut]


class NewWebhookOut(WebhookOut):
    secret: str = Field(description="The signing secret: shown this once, keep it safe.")


class DeliveryOut(BaseModel):
    id: int
    webhook_id: int
    event_id: str
    event: str
    status: str  # pending, succeeded, failed
    attempts: int
    last_status_code: int | None
    last_error: str | None
    created_at: datetime
    next_attempt_at: datetime | None
    delivered_at: datetime | None


class DeliveriesOut(BaseModel):
    items: list[DeliveryOut]
    next_cursor: str | None
