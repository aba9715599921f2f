"""Live events: small messages from whoever changed something to the pages that show it.

Three kinds share one transport: `JobEvent` (a job's progress, from workers),
`NotificationEvent` (a user's unread-notification count changed, from the social services) and
`BalanceEvent` (a user's credits changed outside a job: a Stripe purchase), `AccountJobEvent`
(a data export's progress, for the settings page).
The JSON carries a `type` tag ("job" / "notification" / "balance"); a message without one is a
job event, so a backlog written before notifications existed still parses.

Two transports, one interface, chosen by settings like every other part:
- no REDIS_URL (embedded profile): an in-process queue; the worker threads and the backend's
  listener live in the same process;
- REDIS_URL: a Redis list. Workers RPUSH JSON; each backend process's listener BLPOPs, so every
  event is handed to exactly one backend, which applies it through the shared Reflex state
  manager (REFLEX_NOTES.md, "Pushing state from outside an event").

Events are best effort by design: the database is the truth, a page that reloads reads the job
from it. So `publish` never raises into the job that calls it, and an overlong backlog (no
listener running) is trimmed from the oldest end.

No Reflex import here: workers use this module too. The backend's listener calls the blocking
`EventSource.next` from a thread (e.g. `await asyncio.to_thread(source.next, 5.0)`).
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from functools import lru_cache
from typing import Annotated, Any, Literal, cast

import redis
from pydantic import BaseModel, ConfigDict, Discriminator, Field, Tag, TypeAdapter, ValidationError

from pixel_studio import metrics
from pixel_studio.settings import Settings, get_settings

log = logging.getLogger(__name__)


class JobEvent(BaseModel):
    """One change of one job, as the page needs it to update without a query."""

    model_config = ConfigDict(frozen=True)

    job_id: str
    user_id: int
    status: str  # a JobStatus value
    done: int
    total: int
    image_ids: list[int] = Field(default_factory=list)  # images finished by this step
    message: str = ""  # the failure or refund message a person reads
    balance: int | None = None  # the user's credits, when this step changed them
    type: Literal["job"] = "job"  # the tag that tells event kinds apart in the JSON


class NotificationEvent(BaseModel):
    """The user's unread-notification count is now `unread`: every open tab updates its bell."""

    model_config = ConfigDict(frozen=True)

    user_id: int
    unread: int
    type: Literal["notification"] = "notification"


class BalanceEvent(BaseModel):
    """The user's credit balance is now `balance`: every open tab updates its credits badge."""

    model_config = ConfigDict(frozen=True)

    user_id: int
    balance: int
    type: Literal["balance"] = "balance"


class AccountJobEvent(BaseModel):
    """A data export (or account deletion) of the user moved on: the settings page shows it."""

    model_config = ConfigDict(frozen=True)

    user_id: int
    job_id: str
    kind: str  # an AccountJobKind value
    status: str  # a JobStatus value
    done: int
    total: int
    type: Literal["account_job"] = "account_job"


AnyEvent = JobEvent | NotificationEvent | BalanceEvent | AccountJobEvent


def _event_type(value: Any) -> str:
    tag = value.get("type") if isinstance(value, dict) else getattr(value, "type", None)
    return tag or "job"  # untagged JSON predates the tag: a job event


Event = Annotated[
    Annotated[JobEvent, Tag("job")]
    | Annotated[NotificationEvent, Tag("notification")]
    | Annotated[BalanceEvent, Tag("balance")]
    | Annotated[AccountJobEvent, Tag("account_job")],
    Discriminator(_event_type),
]
_EVENT: TypeAdapter[AnyEvent] = TypeAdapter(Event)

# The embedded transport. Unbounded put never blocks a worker thread; nothing else reads it.
_local: queue.Queue[AnyEvent] = queue.Queue()


@lru_cache(maxsize=8)
def _redis_client(url: str) -> redis.Redis:
    # Short timeouts: a Redis hiccup must not stall a worker between two images.
    return redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)


def publish(event: AnyEvent, settings: Settings | None = None) -> None:
    """Hand `event` to the listeners. Never raises: a lost event costs a refresh, not a job."""
    settings = settings or get_settings()
    if isinstance(event, JobEvent):  # every job status change passes here exactly once
        metrics.count_job_status(str(event.status))
    if not settings.redis_url:
        _local.put(event)
        return
    try:
        pipe = _redis_client(settings.redis_url).pipeline(transaction=False)
        pipe.rpush(settings.events_key, event.model_dump_json())
        pipe.ltrim(settings.events_key, -settings.events_max_backlog, -1)
        pipe.execute()
    except redis.RedisError:
        what = f"job {event.job_id}" if isinstance(event, JobEvent) else f"user {event.user_id}"
        log.warning("could not publish event for %s", what, exc_info=True)


class EventSource:
    """The consuming end: `next(timeout)` blocks until an event arrives or `timeout` passes."""

    def __init__(self, settings: Settings | None = None) -> None:
        self._settings = settings or get_settings()
        self._client: redis.Redis | None = None
        self._lock = threading.Lock()
        if self._settings.redis_url:
            # No socket timeout: BLPOP's own timeout bounds each wait on the server side, and a
            # socket timeout shorter than it would cut a healthy wait short.
            self._client = redis.Redis.from_url(
                self._settings.redis_url,
                socket_connect_timeout=5,
                socket_keepalive=True,
                health_check_interval=30,
            )

    def next(self, timeout: float) -> JobEvent | None:
        """The oldest pending job event, or None after `timeout` seconds (or a Redis outage).

        A notification event popped here is dropped (None): a listener that only knows job
        events keeps working. A listener that handles both calls `next_event` instead."""
        event = self.next_event(timeout)
        return event if isinstance(event, JobEvent) else None

    def next_event(self, timeout: float) -> AnyEvent | None:
        """The oldest pending event of either kind, or None after `timeout` seconds."""
        if self._client is None:
            try:
                return _local.get(timeout=timeout)
            except queue.Empty:
                return None
        try:
            with self._lock:
                # BLPOP takes fractional seconds (Redis >= 6); 0 would mean "forever".
                item = cast(
                    "list[bytes] | None",
                    self._client.blpop([self._settings.events_key], max(timeout, 0.01)),
                )
        except redis.RedisError:
            log.warning("event source: Redis unavailable, retrying", exc_info=True)
            time.sleep(min(timeout, 1.0))  # keep a listener loop from spinning on an outage
            return None
        if item is None:
            return None
        try:
            return _EVENT.validate_json(item[1])
        except ValidationError:
            log.warning("event source: dropped a malformed event: %r", item[1][:200])
            return None

    def next_events(self, timeout: float, most: int) -> list[AnyEvent]:
        """The oldest pending event (waiting up to `timeout`) and whatever else is already
        pending behind it, up to `most` in all, oldest first; [] after `timeout`.

        One wait and one LPOP for a burst: a listener that took events one at a time paid a
        round trip and a thread hop per event, and fell behind at a few hundred a second."""
        first = self.next_event(timeout)
        if first is None:
            return []
        out: list[AnyEvent] = [first]
        if most <= 1:
            return out
        if self._client is None:
            while len(out) < most:
                try:
                    out.append(_local.get_nowait())
                except queue.Empty:
                    break
            return out
        try:
            with self._lock:
                items = cast(
                    "list[bytes] | None",
                    self._client.lpop(self._settings.events_key, most - 1),
                )
        except redis.RedisError:
            log.warning("event source: Redis unavailable, retrying", exc_info=True)
            return out
        for item in items or []:
            try:
                out.append(_EVENT.validate_json(item))
            except ValidationError:
                log.warning("event source: dropped a malformed event: %r", item[:200])
        return out

    def close(self) -> None:
        if self._client is not None:
            self._client.close()


def drain_local() -> list[AnyEvent]:
    """Everything waiting in the in-process queue (tests, and a listener shutting down)."""
    out: list[AnyEvent] = []
    while True:
        try:
            out.append(_local.get_nowait())
        except queue.Empty:
            return out
