"""Webhooks for API users: their endpoints, the events recorded for them, the delivery log.

Flow: a job's end (services/studio/jobs.py, job_state.close_job) or a credited payment
(services/billing/payments.py) calls `record` inside its own transaction, which adds one
WebhookDelivery row per endpoint of the user that takes the event (an outbox: the delivery
commits or rolls back with the change it reports). Once that transaction has committed, a
session hook hands the new rows to the queue (pixel_studio/webhook_queue.py), so nothing is
ever sent about a change that was rolled back. Sending, signing, the address checks and the
retries are in services/integrations/webhook_delivery.py.

The signing secret is derived from SECRET_KEY and a per-endpoint salt, never stored: it is
shown once when the endpoint is created, and a copy of the database alone cannot sign.
"""

from __future__ import annotations

import logging
import secrets
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any
from urllib.parse import urlsplit

from pydantic import AfterValidator, BaseModel, Field
from sqlalchemy import event as sa_event
from sqlalchemy import func
from sqlalchemy.orm import Session as OrmSession
from sqlmodel import Session, col, select

from pixel_studio.models.webhooks import DeliveryStatus, Webhook, WebhookDelivery, WebhookEvent
from pixel_studio.services import users
from pixel_studio.services.errors import InvalidInput, NotFound
from pixel_studio.services.integrations.webhook_delivery import signing_secret
from pixel_studio.services.social_sql import Cursor, older_than
from pixel_studio.settings import Settings

log = logging.getLogger(__name__)

MAX_WEBHOOKS = 5  # per user
MAX_URL = 2000
ALL_EVENTS: tuple[str, ...] = tuple(e.value for e in WebhookEvent)
_PENDING = "webhook_pending_deliveries"  # session.info key: ids to hand over after the commit


def _url(value: str) -> str:
    value = value.strip()
    if len(value) > MAX_URL:
        raise ValueError(f"The URL is too long ({MAX_URL} characters at most).")
    if users.has_control_chars(value) or any(c.isspace() for c in value):
        raise ValueError("The URL contains a character that is not allowed.")
    try:
        parts = urlsplit(value)
        port = parts.port  # raises for a port that is not a number or out of range
    except ValueError:
        raise ValueError("That is not a valid URL.") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError("Use an http:// or https:// URL with a host name.")
    if parts.username is not None or parts.password is not None:
        raise ValueError("Leave user names and passwords out of the URL.")
    if port == 0:
        raise ValueError("That is not a valid URL.")
    if parts.fragment:
        raise ValueError("Leave the #fragment out of the URL.")
    return value


def _events(value: list[str]) -> list[str]:
    chosen = list(dict.fromkeys(value))
    if not chosen:
        raise ValueError("Choose at least one event.")
    unknown = [e for e in chosen if e not in ALL_EVENTS]
    if unknown:
        raise ValueError(f"Unknown event {unknown[0]!r}: choose from {', '.join(ALL_EVENTS)}.")
    return chosen


class WebhookRequest(BaseModel):
    url: Annotated[str, AfterValidator(_url)]
    events: Annotated[list[str], AfterValidator(_events)] = Field(
        default_factory=lambda: list(ALL_EVENTS)
    )


@dataclass(frozen=True)
class WebhookInfo:
    id: int
    url: str
    events: list[str]
    created_at: datetime


@dataclass(frozen=True)
class NewWebhook:
    info: WebhookInfo
    secret: str  # the only time it is shown


@dataclass(frozen=True)
class DeliveryInfo:
    id: int
    webhook_id: int
    event_id: str
    event: str
    status: str
    attempts: int
    last_status_code: int | None
    last_error: str | None
    created_at: datetime
    next_attempt_at: datetime | None
    delivered_at: datetime | None


@dataclass(frozen=True)
class DeliveryPage:
    items: list[DeliveryInfo]
    next_before: Cursor | None


def _info(row: Webhook) -> WebhookInfo:
    events = [e for e in row.events.split(",") if e]
    return WebhookInfo(row.id or 0, row.url, events, row.created_at)


def create_webhook(
    session: Session,
    settings: Settings,
    user_id: int,
    request: dict[str, Any],
    *,
    check_target: Callable[[str, Settings], None] | None = None,
) -> NewWebhook:
    """Register an endpoint for the user. Commits. InvalidInput for a bad URL or event list, a
    target in a refused range (`check_target`: services/integrations/webhook_delivery.check_url,
    which resolves the name now; it is checked again on every delivery) or too many endpoints."""
    wanted = users.parse(WebhookRequest, request)
    if check_target is None:
        from pixel_studio.services.integrations.webhook_delivery import check_url

        check_target = check_url
    check_target(wanted.url, settings)
    count = session.exec(
        select(func.count()).select_from(Webhook).where(col(Webhook.user_id) == user_id)
    ).one()
    if count >= MAX_WEBHOOKS:
        raise InvalidInput(
            f"You have {MAX_WEBHOOKS} webhooks already; delete one you no longer use.", field="url"
        )
    row = Webhook(
        user_id=user_id,
        url=wanted.url,
        events=",".join(wanted.events),
        secret_salt=secrets.token_hex(16),
    )
    session.add(row)
    session.commit()
    return NewWebhook(_info(row), signing_secret(settings, row.secret_salt))


def list_webhooks(session: Session, user_id: int) -> list[WebhookInfo]:
    """The user's endpoints, newest first."""
    rows = session.exec(
        select(Webhook)
        .where(col(Webhook.user_id) == user_id)
        .order_by(col(Webhook.created_at).desc(), col(Webhook.id).desc())
    ).all()
    return [_info(r) for r in rows]


def _own(session: Session, user_id: int, webhook_id: int) -> Webhook:
    row = session.get(Webhook, webhook_id)
    if row is None or row.user_id != user_id:  # someone else's looks like a missing one
        raise NotFound("That webhook does not exist.")
    return row


def get_webhook(session: Session, user_id: int, webhook_id: int) -> WebhookInfo:
    return _info(_own(session, user_id, webhook_id))


def delete_webhook(session: Session, user_id: int, webhook_id: int) -> None:
    """Delete the user's endpoint and its delivery log (cascade). Commits."""
    session.delete(_own(session, user_id, webhook_id))
    session.commit()


def _delivery(row: WebhookDelivery) -> DeliveryInfo:
    return DeliveryInfo(
        id=row.id or 0,
        webhook_id=row.webhook_id,
        event_id=row.event_id,
        event=row.event,
        status=row.status,
        attempts=row.attempts,
        last_status_code=row.last_status_code,
        last_error=row.last_error,
        created_at=row.created_at,
        next_attempt_at=row.next_attempt_at,
        delivered_at=row.delivered_at,
    )


def list_deliveries(
    session: Session,
    user_id: int,
    *,
    webhook_id: int | None = None,
    before: Cursor | None = None,
    limit: int = 20,
) -> DeliveryPage:
    """The user's deliveries (of one endpoint, when given), newest first, keyset-paged on
    (created_at, id) over the (user_id | webhook_id, created_at) indexes."""
    limit = max(1, min(limit, 100))
    stmt = select(WebhookDelivery).where(col(WebhookDelivery.user_id) == user_id)
    if webhook_id is not None:
        _own(session, user_id, webhook_id)
        stmt = stmt.where(col(WebhookDelivery.webhook_id) == webhook_id)
    if before is not None:
        stmt = stmt.where(
            older_than(col(WebhookDelivery.created_at), col(WebhookDelivery.id), before)
        )
    stmt = stmt.order_by(col(WebhookDelivery.created_at).desc(), col(WebhookDelivery.id).desc())
    rows = list(session.exec(stmt.limit(limit + 1).execution_options(populate_existing=True)))
    more = len(rows) > limit
    items = [_delivery(r) for r in rows[:limit]]
    last = items[-1] if items and more else None
    return DeliveryPage(items, (last.created_at, last.id) if last is not None else None)


def record(session: Session, user_id: int, event: WebhookEvent, data: dict[str, Any]) -> list[int]:
    """In the caller's transaction: one delivery per endpoint of the user that takes `event`.
    No commit; the rows go to the queue after the caller's commit (`_after_commit`).
    Returns the new deliveries' ids (none when the user has no such endpoint)."""
    hooks = session.exec(
        select(Webhook.id, Webhook.events).where(col(Webhook.user_id) == user_id)
    ).all()
    targets = [hook_id for hook_id, events in hooks if event.value in events.split(",")]
    if not targets:
        return []
    from pixel_studio.db import utcnow

    now = utcnow()
    rows = []
    for hook_id in targets:
        event_id = "evt_" + uuid.uuid4().hex
        body = {"id": event_id, "type": event.value, "created": int(now.timestamp()), "data": data}
        rows.append(
            WebhookDelivery(
                webhook_id=hook_id or 0,
                user_id=user_id,
                event_id=event_id,
                event=event.value,
                payload=body,
                status=DeliveryStatus.pending,
                next_attempt_at=now,
                created_at=now,
            )
        )
    session.add_all(rows)
    session.flush()
    ids = [r.id or 0 for r in rows]
    session.info.setdefault(_PENDING, []).extend(ids)
    return ids


@sa_event.listens_for(OrmSession, "after_commit")
def _after_commit(session: OrmSession) -> None:
    ids = session.info.pop(_PENDING, None)
    if not ids:
        return
    from pixel_studio.services.integrations import webhook_queue

    try:
        webhook_queue.dispatch(list(ids), engine=session.get_bind())
    except Exception:  # committed already: the recovery sweep sends them (webhook_queue.py)
        log.exception("could not queue webhook deliveries %s", ids)


@sa_event.listens_for(OrmSession, "after_rollback")
def _after_rollback(session: OrmSession) -> None:
    session.info.pop(_PENDING, None)  # rolled back with the change: nothing to send
