"""Settings → Webhooks: add an endpoint (its signing secret is shown once), list and delete
endpoints, and see the recent deliveries with their status, attempts and last error.

As for API tokens (state/api_tokens.py), the new secret never enters this state: the handler
sends it straight to a read-only input of the page (`rx.set_value`), so no state field,
hydrate snapshot or state store holds it; "Done" and leaving the section empty the input.
Every handler takes the viewer from this event's session (`checked_user_id`).
"""

from __future__ import annotations

import asyncio
from typing import Any

import reflex as rx
from pydantic import BaseModel

from pixel_studio.db import session_scope
from pixel_studio.services.errors import ServiceError
from pixel_studio.services.integrations import webhooks
from pixel_studio.settings import get_settings
from pixel_studio.state.auth import checked_user_id, per_user, session_ended

SETTINGS_PATH = "/settings"
SECRET_INPUT_ID = "new-webhook-secret"
URL_INPUT_ID = "webhook-url"  # components/webhooks_panel.py: the form's URL input
ALL = "all"
EVENT_CHOICES: dict[str, str] = {
    ALL: "All events",
    **{e: e for e in webhooks.ALL_EVENTS},
}
RECENT_DELIVERIES = 10


class HookRow(BaseModel):
    id: int
    url: str
    events: str  # "job.succeeded, job.failed"
    created: str


class DeliveryRow(BaseModel):
    id: int
    event: str
    url: str
    status: str
    color: str
    attempts: int
    detail: str  # "HTTP 500" / "delivered 10:31 UTC" / "next attempt 10:35 UTC"
    created: str


_COLORS = {"succeeded": "green", "failed": "red", "pending": "amber"}


def _when(value: Any) -> str:
    return value.strftime("%Y-%m-%d %H:%M UTC") if value is not None else ""


def _detail(d: webhooks.DeliveryInfo) -> str:
    if d.status == "succeeded":
        return f"Delivered {_when(d.delivered_at)}"
    parts = [d.last_error or ""]
    if d.status == "pending" and d.next_attempt_at is not None:
        parts.append(f"next attempt {_when(d.next_attempt_at)}")
    return " · ".join(p for p in parts if p) or "Waiting for the first attempt"


def read_all(user_id: int) -> tuple[list[HookRow], list[DeliveryRow]]:
    with session_scope() as session:
        hooks = webhooks.list_webhooks(session, user_id)
        page = webhooks.list_deliveries(session, user_id, limit=RECENT_DELIVERIES)
    urls = {h.id: h.url for h in hooks}
    rows = [
        HookRow(id=h.id, url=h.url, events=", ".join(h.events), created=_when(h.created_at))
        for h in hooks
    ]
    deliveries = [
        DeliveryRow(
            id=d.id,
            event=d.event,
            url=urls.get(d.webhook_id, ""),
            status=d.status,
            color=_COLORS.get(d.status, "gray"),
            attempts=d.attempts,
            detail=_detail(d),
            created=_when(d.created_at),
        )
        for d in page.items
    ]
    return rows, deliveries


def create_and_read(
    user_id: int, form: dict[str, Any]
) -> tuple[str, list[HookRow], list[DeliveryRow]]:
    url = form.get("url")
    chosen = form.get("events")
    events = list(webhooks.ALL_EVENTS) if chosen in (None, "", ALL) else [str(chosen)]
    request = {"url": url if isinstance(url, str) else "", "events": events}
    with session_scope() as session:
        made = webhooks.create_webhook(session, get_settings(), user_id, request)
    return (made.secret, *read_all(user_id))


def delete_and_read(user_id: int, webhook_id: int) -> tuple[list[HookRow], list[DeliveryRow]]:
    with session_scope() as session:
        webhooks.delete_webhook(session, user_id, webhook_id)
    return read_all(user_id)


@per_user
class WebhooksState(rx.State):
    hooks: rx.Field[list[HookRow]] = rx.field(default_factory=list)
    deliveries: rx.Field[list[DeliveryRow]] = rx.field(default_factory=list)
    secret_shown: rx.Field[bool] = rx.field(False)  # the secret is in the page's input
    error: rx.Field[str] = rx.field("")
    busy: rx.Field[bool] = rx.field(False)

    @rx.var
    def has_hooks(self) -> bool:
        return len(self.hooks) > 0

    @rx.var
    def has_deliveries(self) -> bool:
        return len(self.deliveries) > 0

    @rx.event(background=True)
    async def load(self) -> Any:
        """When the section mounts (and "Refresh"): endpoints and recent deliveries."""
        async with self:
            user_id = await checked_user_id(self)
            self.error, self.busy = "", False
        if user_id is None:
            async with self:
                self.hooks, self.deliveries = [], []
            return None
        hooks, deliveries = await asyncio.to_thread(read_all, user_id)
        async with self:
            self.hooks, self.deliveries = hooks, deliveries
        return None

    @rx.event
    def dismiss_secret(self) -> Any:
        """ "Done", or the section leaving the page: the secret leaves the page too."""
        self.secret_shown = False
        return rx.set_value(SECRET_INPUT_ID, "")

    @rx.event(background=True)
    async def create_webhook(self, form: dict[str, Any]) -> Any:
        async with self:
            if self.busy:
                return None
            user_id = await checked_user_id(self)
            if user_id is None:
                return session_ended(SETTINGS_PATH)
            self.busy, self.error, self.secret_shown = True, "", False
        form = form if isinstance(form, dict) else {}
        try:
            secret, hooks, deliveries = await asyncio.to_thread(create_and_read, user_id, form)
        except ServiceError as exc:
            async with self:
                self.busy, self.error = False, exc.message
            return rx.toast.error(exc.message)
        async with self:
            self.busy, self.secret_shown = False, True
            self.hooks, self.deliveries = hooks, deliveries
        return [
            rx.set_value(SECRET_INPUT_ID, secret),
            rx.set_value(URL_INPUT_ID, ""),
            rx.toast.success("Webhook added. Copy its signing secret now: it is not shown again."),
        ]

    @rx.event(background=True)
    async def delete_webhook(self, webhook_id: int) -> Any:
        if isinstance(webhook_id, bool) or not isinstance(webhook_id, int):
            return rx.toast.error("That webhook does not exist.")
        async with self:
            user_id = await checked_user_id(self)
            if user_id is None:
                return session_ended(SETTINGS_PATH)
        try:
            hooks, deliveries = await asyncio.to_thread(delete_and_read, user_id, webhook_id)
        except ServiceError as exc:
            return rx.toast.error(exc.message)
        async with self:
            self.hooks, self.deliveries = hooks, deliveries
        return rx.toast.info("Webhook deleted: nothing more is sent to it.")
