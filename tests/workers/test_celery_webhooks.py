"""Webhooks on the production path (issue 15): a `celery worker` subprocess runs a job, its
success is recorded with the job's last commit, the delivery goes out as a Celery task, the
loopback receiver answers 500 and the retry (a task with a countdown) gets 200. PostgreSQL,
Redis broker, a real HTTP receiver; WEBHOOKS_ALLOW_PRIVATE=1 because it is on loopback."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator

import pytest
from sqlmodel import Session, select

from pixel_studio.db import make_engine
from pixel_studio.migrations import upgrade
from pixel_studio.models import WebhookDelivery
from pixel_studio.services.integrations import webhook_delivery as wd
from pixel_studio.services.integrations import webhook_queue, webhooks
from pixel_studio.services.studio import generation
from pixel_studio.settings import Settings
from tests.api.test_webhooks import Receiver, receiver  # noqa: F401 - receiver is a fixture
from tests.db_fixtures import create_pg_database, drop_pg_database, pg_url
from tests.redis_fixtures import claimed_redis_db
from tests.services.generation_helpers import make_user
from tests.workers.celery_harness import Worker

pytestmark = pytest.mark.timeout(120)


@pytest.fixture
def production(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Settings, str]]:
    data_dir = tmp_path_factory.mktemp("hooks")
    db_name = create_pg_database()
    try:
        url = pg_url(db_name)
        upgrade(url)
        with claimed_redis_db() as redis_url:
            env = {
                "DATABASE_URL": url,
                "REDIS_URL": redis_url,
                "CELERY_BROKER_URL": redis_url,
                "DATA_DIR": str(data_dir),
                "SECRET_KEY": "webhook-pipeline-test",
                "CELERY_QUEUE": f"ps-hooks-{db_name}",
                "EVENTS_KEY": f"ps-hooks-events-{db_name}",
                "WEBHOOKS_ALLOW_PRIVATE": "1",
                "WEBHOOK_RETRY_BASE_SECONDS": "1",
            }
            settings = Settings(_env_file=None, **{k.lower(): v for k, v in env.items()})  # type: ignore[arg-type]
            worker = Worker(env, settings.celery_queue, data_dir)
            try:
                worker.wait_ready()
                yield settings, url
            finally:
                worker.stop()
    finally:
        drop_pg_database(db_name)


def test_job_succeeded_goes_through_celery_and_is_retried(
    production: tuple[Settings, str],
    receiver: Receiver,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    settings, url = production
    receiver.statuses = [500, 200]
    # This process's commits (none record a delivery here) would dispatch with these too.
    monkeypatch.setattr(webhook_queue, "get_settings", lambda: settings)
    engine = make_engine(url)
    try:
        with Session(engine, expire_on_commit=False) as s:
            user_id = make_user(s, "hookie", 5)
            made = webhooks.create_webhook(s, settings, user_id, {"url": receiver.url})
            data = {"model": "local-sketch", "prompt": "a lighthouse", "size": "256x256"}
            job = generation.create_job(s, user_id, data, settings)

        receiver.wait_for(2, timeout=60)
        (first, _h1, raw1), (second, headers, raw2) = receiver.got[:2]
        assert raw1 == raw2 and second - first >= 0.9  # the countdown of the retry
        assert wd.verify_signature(made.secret, raw2, headers["Pixel-Studio-Signature"])
        event = json.loads(raw2)
        assert event["type"] == "job.succeeded" and event["data"]["job_id"] == job.id

        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            with Session(engine) as s:
                row = s.exec(select(WebhookDelivery)).one()
            if row.status == "succeeded":
                break
            time.sleep(0.1)
        assert (row.status, row.attempts, row.last_status_code) == ("succeeded", 2, 200)
    finally:
        engine.dispose()
