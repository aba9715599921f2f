"""Job events through both transports: the in-process queue and a Redis list (real server)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis

from pixel_studio import events
from pixel_studio.events import EventSource, JobEvent
from pixel_studio.settings import Settings
from tests.redis_fixtures import claimed_redis_db


def _event(n: int) -> JobEvent:
    return JobEvent(job_id="j1", user_id=7, status="running", done=n, total=3, image_ids=[n])


@pytest.fixture(params=["memory", "redis"])
def settings(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Settings]:
    base = Settings(_env_file=None, data_dir=tmp_path, secret_key="s")  # type: ignore[call-arg]
    if request.param == "memory":
        events.drain_local()
        yield base
        return
    with claimed_redis_db() as url:
        yield base.model_copy(update={"redis_url": url, "events_key": "t:events"})


def test_events_arrive_in_order_and_intact(settings: Settings) -> None:
    source = EventSource(settings)
    for n in range(3):
        events.publish(_event(n), settings)
    got = [source.next(1.0) for _ in range(3)]
    assert got == [_event(0), _event(1), _event(2)]
    started = time.monotonic()
    assert source.next(0.2) is None  # an empty source waits its timeout, then says so
    assert 0.15 <= time.monotonic() - started < 2
    source.close()


def test_redis_backlog_is_trimmed_and_garbage_skipped(tmp_path: Path) -> None:
    with claimed_redis_db() as url:
        settings = Settings(  # type: ignore[call-arg]
            _env_file=None, data_dir=tmp_path, redis_url=url, events_max_backlog=100
        )
        for n in range(150):
            events.publish(_event(n), settings)
        client = redis.Redis.from_url(url)
        assert client.llen(settings.events_key) == 100
        client.lpush(settings.events_key, b"not json")
        source = EventSource(settings)
        assert source.next(1.0) is None  # the malformed one is dropped, not raised
        first = source.next(1.0)
        assert first is not None and first.done == 50  # the oldest 50 were trimmed
        source.close()
        client.close()


def test_publish_never_raises_when_redis_is_down(tmp_path: Path) -> None:
    settings = Settings(  # type: ignore[call-arg]
        _env_file=None, data_dir=tmp_path, redis_url="redis://127.0.0.1:1/0"
    )
    events.publish(_event(1), settings)  # logged, not raised: the database is the truth
    assert EventSource(settings).next(0.1) is None


def test_a_burst_is_taken_at_once_in_order(settings: Settings) -> None:
    """next_events: the first event (waiting for it), then what is already pending behind it,
    at most `most`, oldest first; the rest stays for the next call; [] once empty."""
    source = EventSource(settings)
    for n in range(5):
        events.publish(_event(n), settings)
    assert source.next_events(1.0, 3) == [_event(0), _event(1), _event(2)]
    assert source.next_events(1.0, 10) == [_event(3), _event(4)]
    assert source.next_events(0.1, 10) == []
    events.publish(_event(9), settings)
    assert source.next_events(1.0, 1) == [_event(9)]
    source.close()
