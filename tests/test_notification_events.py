"""Notification events share the job events' transport (in-process queue and Redis list)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import redis

from pixel_studio import events
from pixel_studio.events import EventSource, JobEvent, NotificationEvent
from pixel_studio.settings import Settings
from tests.redis_fixtures import claimed_redis_db


def _job(n: int) -> JobEvent:
    return JobEvent(job_id="j1", user_id=7, status="running", done=n, total=3)


@pytest.fixture(params=["memory", "redis"])
def settings(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Settings]:
    base = Settings(_env_file=None, data_dir=tmp_path, secret_key="s")  # type: ignore[call-arg]
    if request.param == "memory":
        events.drain_local()
        yield base
        return
    with claimed_redis_db() as url:
        yield base.model_copy(update={"redis_url": url, "events_key": "t:nevents"})


def test_both_kinds_arrive_in_order_as_their_own_type(settings: Settings) -> None:
    source = EventSource(settings)
    sent = [_job(0), NotificationEvent(user_id=7, unread=3), _job(1)]
    for event in sent:
        events.publish(event, settings)
    got = [source.next_event(1.0) for _ in sent]
    assert got == sent
    assert isinstance(got[1], NotificationEvent) and got[1].unread == 3
    source.close()


def test_job_only_listener_skips_notifications(settings: Settings) -> None:
    source = EventSource(settings)
    events.publish(NotificationEvent(user_id=7, unread=1), settings)
    events.publish(_job(2), settings)
    assert source.next(1.0) is None  # the notification is consumed, not misread as a job
    assert source.next(1.0) == _job(2)
    source.close()


def test_untagged_json_is_a_job_event(tmp_path: Path) -> None:
    with claimed_redis_db() as url:
        settings = Settings(_env_file=None, data_dir=tmp_path, redis_url=url)  # type: ignore[call-arg]
        client = redis.Redis.from_url(url)
        old = _job(1).model_dump(exclude={"type"})
        assert "type" not in old
        client.rpush(
            settings.events_key, JobEvent.model_validate(old).model_dump_json(exclude={"type"})
        )
        source = EventSource(settings)
        assert source.next_event(1.0) == _job(1)
        source.close()
        client.close()
