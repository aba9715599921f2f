"""Webhooks under /api/v1 (issue 15): register an endpoint (its signing secret is in the
answer, that once), list and delete endpoints, and read the delivery log.

Events: `job.succeeded`, `job.failed`, `payment.succeeded`, POSTed as JSON
`{"id", "type", "created", "data"}` and signed like Stripe's webhooks
(services/integrations/webhook_delivery.py says how to verify). Endpoints are the token owner's
only: anyone else's is a 404.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Response
from pydantic import BaseModel, ConfigDict, Field

from pixel_studio.api.deps import SessionDep, SettingsDep
from pixel_studio.api.v1.auth import TokenUser, uid
from pixel_studio.api.v1.errors import BAD_INPUT, COMMON_ERRORS, NOT_FOUND
from pixel_studio.api.v1.schemas import decode_cursor, encode_cursor
from pixel_studio.api.v1.schemas_more import (
    MAX_ID,
    DeliveriesOut,
    DeliveryOut,
    NewWebhookOut,
    WebhookOut,
    WebhooksOut,
)
from pixel_studio.models.webhooks import WebhookEvent
from pixel_studio.services.integrations import webhooks

router = APIRouter(tags=["webhooks"], responses={**COMMON_ERRORS, **BAD_INPUT, **NOT_FOUND})
Id = Annotated[int, Path(ge=1, le=MAX_ID)]


class WebhookIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    url: str = Field(
        min_length=1, max_length=webhooks.MAX_URL, examples=["https://example.com/hook"]
    )
    events: list[WebhookEvent] = Field(
        default_factory=lambda: list(WebhookEvent), min_length=1, max_length=len(WebhookEvent)
    )


class DeliveriesQuery(BaseModel):
    cursor: str | None = Field(default=None, max_length=200)
    limit: int = Field(default=20, ge=1, le=100)
    webhook_id: int | None = Field(default=None, ge=1, le=MAX_ID)


def _out(info: webhooks.WebhookInfo) -> WebhookOut:
    return WebhookOut(id=info.id, url=info.url, events=info.events, created_at=info.created_at)


@router.get("/webhooks", response_model=WebhooksOut)
def list_webhooks(user: TokenUser, session: SessionDep) -> WebhooksOut:
    return WebhooksOut(items=[_out(i) for i in webhooks.list_webhooks(session, uid(user))])


@router.post("/webhooks", status_code=201, response_model=NewWebhookOut)
def create_webhook(
    body: WebhookIn, user: TokenUser, session: SessionDep, settings: SettingsDep
) -> NewWebhookOut:
    """Register an endpoint. Its host must resolve to public addresses (checked now and on
    every delivery). The answer holds the signing secret: it is not shown again."""
    request = {"url": body.url, "events": [e.value for e in body.events]}
    made = webhooks.create_webhook(session, settings, uid(user), request)
    return NewWebhookOut(**_out(made.info).model_dump(), secret=made.secret)


@router.get("/webhooks/{webhook_id}", response_model=WebhookOut)
def read_webhook(webhook_id: Id, user: TokenUser, session: SessionDep) -> WebhookOut:
    return _out(webhooks.get_webhook(session, uid(user), webhook_id))


@router.delete("/webhooks/{webhook_id}", status_code=204, response_class=Response)
def delete_webhook(webhook_id: Id, user: TokenUser, session: SessionDep) -> Response:
    """Delete an endpoint and its delivery log; nothing more is sent to it."""
    webhooks.delete_webhook(session, uid(user), webhook_id)
    return Response(status_code=204)


@router.get("/webhook-deliveries", response_model=DeliveriesOut)
def list_deliveries(
    query: Annotated[DeliveriesQuery, Query()], user: TokenUser, session: SessionDep
) -> DeliveriesOut:
    """What was sent to your endpoints (one of them with `webhook_id`), newest first: status
    (pending, succeeded, failed), attempts, the last HTTP status and error."""
    page = webhooks.list_deliveries(
        session,
        uid(user),
        webhook_id=query.webhook_id,
        before=decode_cursor(query.cursor),
        limit=query.limit,
    )
    items = [DeliveryOut(**vars(d)) for d in page.items]
    return DeliveriesOut(items=items, next_cursor=encode_cursor(page.next_before))
