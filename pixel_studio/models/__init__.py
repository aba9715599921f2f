"""The data model: plain SQLModel tables, one module a domain. Alembic owns the schema
(alembic/versions).

Importing this package registers every table on SQLModel.metadata (alembic/env.py relies on
it), and `from pixel_studio.models import X` works for every table and enum.
"""

from __future__ import annotations

from pixel_studio.models.accounts import (
    AccountJob,
    AccountJobKind,
    AccountToken,
    AccountTokenPurpose,
    ApiToken,
    OAuthAccount,
    User,
    UserSession,
)
from pixel_studio.models.base import JobStatus
from pixel_studio.models.billing import CreditKind, CreditTransaction, StripeEvent, StripePayment
from pixel_studio.models.moderation import AuditLog, Report, ReportStatus, ReportTarget
from pixel_studio.models.social import (
    Collection,
    CollectionImage,
    Comment,
    CommentLike,
    Follow,
    Like,
    Notification,
)
from pixel_studio.models.studio import (
    HOT_EPOCH_DIVISOR,
    GenerationJob,
    Image,
    ImageSet,
    hot_score,
    image_style,
)
from pixel_studio.models.webhooks import Webhook, WebhookDelivery, WebhookEvent

__all__ = [
    "Webhook",
    "WebhookDelivery",
    "WebhookEvent",
    "HOT_EPOCH_DIVISOR",
    "AccountJob",
    "AccountJobKind",
    "AccountToken",
    "AccountTokenPurpose",
    "ApiToken",
    "AuditLog",
    "Collection",
    "CollectionImage",
    "Comment",
    "CommentLike",
    "CreditKind",
    "CreditTransaction",
    "Follow",
    "GenerationJob",
    "Image",
    "ImageSet",
    "JobStatus",
    "Like",
    "Notification",
    "OAuthAccount",
    "Report",
    "ReportStatus",
    "ReportTarget",
    "StripeEvent",
    "StripePayment",
    "User",
    "UserSession",
    "hot_score",
    "image_style",
]
