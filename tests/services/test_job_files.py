"""run_job and files: a failed storage write never leaves a file behind (SQLite, PostgreSQL)."""

from __future__ import annotations

from sqlalchemy.engine import Engine
from sqlmodel import Session

from pixel_studio.models import Image
from pixel_studio.services.studio.jobs import run_job
from pixel_studio.settings import Settings
from pixel_studio.storage.local import LocalStorage
from tests.services.generation_helpers import Events, count, fresh_job, make_user, submit_job
from tests.services.test_images import FailingStorage


def test_failed_thumbnail_write_removes_the_original(
    db: Engine, session: Session, settings: Settings, storage: LocalStorage
) -> None:
    uid = make_user(session, "kora", 5)
    job = submit_job(session, uid, settings, count=1)
    # The second put (the thumbnail) fails after the original was written.
    flaky = FailingStorage(storage, "put", nth=2)
    run_job(job.id, engine=db, settings=settings, storage=flaky, publish=Events())
    assert fresh_job(session, job.id).status == "failed"
    assert count(session, Image) == 0
    assert [p for p in settings.media_dir.rglob("*") if p.is_file()] == []
