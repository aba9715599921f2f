"""The storage sweep: files no row refers to go, everything else stays (SQLite, PostgreSQL;
local storage, and S3 on moto)."""

from __future__ import annotations

import os
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session

from pixel_studio.services import users
from pixel_studio.services.operations.storage_sweep import sweep_orphans
from pixel_studio.services.studio.jobs import run_job
from pixel_studio.settings import Settings
from pixel_studio.storage import Storage
from pixel_studio.storage.local import LocalStorage
from pixel_studio.storage.s3 import S3Storage
from tests.services.generation_helpers import Events, images_of, make_user, submit_job
from tests.storage.test_s3_storage import (  # noqa: F401  (fixtures)
    aws_env,
    bucket,
    endpoint,
    make_settings,
)

TWO_DAYS = 2 * 86400


def _stage(
    db: Engine, session: Session, settings: Settings, storage: Storage
) -> tuple[set[str], set[str], int]:
    """A user with an avatar and two images, plus the leftovers of crashes; returns
    (kept keys, orphan keys, set id)."""
    uid = make_user(session, "sweepy", 5)
    job = submit_job(session, uid, settings, count=1)
    run_job(job.id, engine=db, settings=settings, storage=storage, publish=Events())
    private_job = submit_job(session, uid, settings, count=1, private=True)
    run_job(private_job.id, engine=db, settings=settings, storage=storage, publish=Events())
    images = images_of(session, job.id) + images_of(session, private_job.id)
    set_id = images[0].set_id
    avatar = f"avatars/u{uid}/current.webp"
    storage.put(avatar, b"a", "image/webp")
    users.set_avatar_key(session, uid, avatar)
    session.commit()
    kept = {k for i in images for k in (i.original_key, i.thumbnail_key)} | {avatar}
    orphans = {
        # A worker killed between its storage writes and its commit.
        f"images/u{uid}/s{set_id}/killed.png",
        f"images/u{uid}/s{set_id}/killed.webp",
        # A set deleted while its file delete failed; a replaced avatar whose delete failed.
        f"private/images/u{uid}/s987654/gone.png",
        f"avatars/u{uid}/previous.webp",
    }
    for key in orphans:
        storage.put(key, b"orphan", "application/octet-stream")
    return kept, orphans, set_id


def test_sweep_local(
    db: Engine, session: Session, settings: Settings, storage: LocalStorage
) -> None:
    kept, orphans, set_id = _stage(db, session, settings, storage)
    storage.put("notes/readme.txt", b"not ours", "text/plain")  # outside the layout
    old = time.time() - TWO_DAYS
    for path in settings.media_dir.rglob("*"):
        if path.is_file():
            os.utime(path, (old, old))
    # A fresh unreferenced file may be a commit on its way: kept.
    fresh = f"images/u1/s{set_id}/in-flight.png"
    storage.put(fresh, b"x", "image/png")

    dry = sweep_orphans(session, storage, dry_run=True, batch_size=2)
    assert set(dry.orphans) == orphans and dry.dry_run
    assert dry.orphan_bytes == 6 * len(orphans)
    assert all(storage.exists(k) for k in orphans), "a dry run deletes nothing"

    report = sweep_orphans(session, storage, batch_size=2)
    assert set(report.orphans) == orphans
    assert (report.scanned, report.recent, report.unknown) == (len(kept) + 6, 1, 1)
    assert not any(storage.exists(k) for k in orphans)
    assert all(storage.exists(k) for k in kept | {fresh, "notes/readme.txt"})
    assert sweep_orphans(session, storage).orphans == []

    # --older-than 0s: nothing is too young any more.
    assert sweep_orphans(session, storage, older_than=timedelta(0)).orphans == [fresh]


def test_sweep_s3(
    db: Engine,
    session: Session,
    tmp_path: Path,
    endpoint: str,  # noqa: F811
    bucket: str,  # noqa: F811
) -> None:
    storage = S3Storage(make_settings(tmp_path, endpoint, bucket, prefix="studio/"))
    settings = make_settings(tmp_path, endpoint, bucket, prefix="studio/")
    kept, orphans, _set_id = _stage(db, session, settings, storage)
    # Everything was just written: nothing is old enough yet.
    assert sweep_orphans(session, storage).orphans == []
    later = datetime.now(UTC) + timedelta(days=2)
    report = sweep_orphans(session, storage, now=later)
    assert set(report.orphans) == orphans
    assert {o.key for o in storage.list_objects()} == kept


def test_negative_age_is_refused(session: Session, storage: LocalStorage) -> None:
    with pytest.raises(ValueError):
        sweep_orphans(session, storage, older_than=timedelta(hours=-1))
