"""Balance events share the job events' transport (in-process queue and Redis list)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from pixel_studio import events
from pixel_studio.events import BalanceEvent, EventSource, JobEvent, NotificationEvent
from pixel_studio.settings import Settings
from tests.redis_fixtures import claimed_redis_db


@pytest.fixture(params=["memory", "redis"])
def settings(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Settings]:
    base = Settings(_env_file=None, data_dir=tmp_path, secret_key="s")  # type: ignore[call-arg]
    if request.param == "memory":
        events.drain_local()
        yield base
        return
    with claimed_redis_db() as url:
        yield base.model_copy(update={"redis_url": url, "events_key": "t:bevents"})


def test_balance_events_arrive_in_order_as_their_own_type(settings: Settings) -> None:
    source = EventSource(settings)
    sent = [
        JobEvent(job_id="j", user_id=3, status="running", done=0, total=1),
        BalanceEvent(user_id=3, balance=55),
        NotificationEvent(user_id=3, unread=1),
    ]
    for event in sent:
        events.publish(event, settings)
    got = [source.next_event(1.0) for _ in sent]
    assert got == sent and isinstance(got[1], BalanceEvent) and got[1].balance == 55
    # A job-only listener skips it rather than misreading it as a job.
    events.publish(BalanceEvent(user_id=3, balance=60), settings)
    assert source.next(1.0) is None
    source.close()
