"""Mail through a real Celery worker (Redis broker) to a real SMTP server with STARTTLS and
AUTH: delivered, and retried with backoff while the server is down."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import pytest
from sqlmodel import Session

from pixel_studio.db import make_engine
from pixel_studio.mail import Message, dispatch
from pixel_studio.migrations import upgrade
from pixel_studio.services import users
from pixel_studio.services.accounts import password_reset
from pixel_studio.settings import Settings
from tests.mail.smtp_peer import PASSWORD, USER, free_port, self_signed, smtp_server
from tests.redis_fixtures import claimed_redis_db
from tests.workers.celery_harness import Worker


@dataclass
class MailWorker:
    settings: Settings
    worker: Worker
    smtp_port: int
    cert: tuple[Path, Path]


@pytest.fixture(scope="module")
def mail_worker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MailWorker]:
    data_dir = tmp_path_factory.mktemp("celery-mail")
    cert = self_signed(data_dir)
    port = free_port()
    smtp_url = f"smtp://{USER}:{quote(PASSWORD)}@127.0.0.1:{port}?cafile={cert[0]}&timeout=5"
    with claimed_redis_db() as redis_url:
        env = {
            "CELERY_BROKER_URL": redis_url,
            "REDIS_URL": redis_url,
            "CELERY_QUEUE": f"ps-mail-{uuid.uuid4().hex[:8]}",
            "DATA_DIR": str(data_dir),
            "SMTP_URL": smtp_url,
            "SITE_URL": "https://studio.example",
            # A public SITE_URL needs its proxy hops stated, or the worker refuses to start.
            "TRUSTED_PROXY_HOPS": "1",
        }
        settings = Settings(_env_file=None, **{k.lower(): v for k, v in env.items()})  # type: ignore[arg-type]
        upgrade(settings.resolved_database_url)  # the worker's SQLite, for the reset job
        engine = make_engine(settings.resolved_database_url)
        with Session(engine) as session:
            users.create_user(session, "resetme", "resetme@example.com", "correct horse", bonus=0)
            session.commit()
        engine.dispose()
        worker = Worker(env, env["CELERY_QUEUE"], data_dir)
        try:
            worker.wait_ready()
            yield MailWorker(settings, worker, port, cert)
        finally:
            worker.stop()


def message(n: int) -> Message:
    return Message(to=f"user{n}@example.com", subject=f"Hello {n}", paragraphs=("Hi.",))


def test_the_worker_delivers_over_starttls(mail_worker: MailWorker) -> None:
    with smtp_server(mail_worker.cert, port=mail_worker.smtp_port) as (_, inbox):
        dispatch.enqueue(message(1), mail_worker.settings)
        assert inbox.arrived.wait(30), mail_worker.worker.log()[-3000:]
    [(envelope, parsed)] = inbox.messages
    assert envelope.rcpt_tos == ["user1@example.com"]
    assert parsed["Subject"] == "Hello 1 · Pixel Studio"
    assert inbox.logins == [USER]


def test_the_worker_retries_with_backoff_while_the_server_is_down(
    mail_worker: MailWorker,
) -> None:
    started = time.monotonic()
    dispatch.enqueue(message(2), mail_worker.settings)
    deadline = time.monotonic() + 20
    while "retry 1" not in mail_worker.worker.log() and "Retry in" not in mail_worker.worker.log():
        assert time.monotonic() < deadline, mail_worker.worker.log()[-3000:]
        time.sleep(0.1)
    with smtp_server(mail_worker.cert, port=mail_worker.smtp_port) as (_, inbox):
        assert inbox.arrived.wait(30), mail_worker.worker.log()[-3000:]
    waited = time.monotonic() - started
    assert [e.rcpt_tos for e, _ in inbox.messages] == [["user2@example.com"]]
    assert waited >= dispatch.retry_delay(1) - 0.5  # it waited for the backoff, not a loop


def test_the_worker_runs_the_queued_half_of_forgot_password(mail_worker: MailWorker) -> None:
    with smtp_server(mail_worker.cert, port=mail_worker.smtp_port) as (_, inbox):
        password_reset.enqueue_password_reset("nobody", mail_worker.settings)
        password_reset.enqueue_password_reset("resetme", mail_worker.settings)
        assert inbox.arrived.wait(30), mail_worker.worker.log()[-3000:]
        time.sleep(1)  # room for a wrong second mail to arrive
    [(envelope, parsed)] = inbox.messages
    assert envelope.rcpt_tos == ["resetme@example.com"]
    assert parsed["Subject"].startswith("Reset your password")
    assert "https://studio.example/reset-password?token=" in parsed.as_string()
