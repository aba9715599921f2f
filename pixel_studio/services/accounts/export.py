"""Export my data: a zip of the user's originals and JSON of everything that is theirs.

`start_export` commits a queued AccountJob, which the caller then enqueues; the queue runs
`run_export`, which builds the zip and stores it under `private/exports/u<user>/<random>.zip`:
never served without a signature, and the signed link (`export_link`) is bound to the user
and expires. `expire_exports` (the backend's periodic task) removes zips a day old.

Only the user's own data goes in. Their comments on other people's images keep the comment
text and the image id, never that image's prompt or title; likes and collection entries name
only images the user may still see (an image its owner made private since is left out).
"""

from __future__ import annotations

import json
import logging
import tempfile
import time
import uuid
import zipfile
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any

from sqlalchemy import update
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from pixel_studio import events
from pixel_studio.db import get_engine, session_scope, utcnow
from pixel_studio.models import (
    AccountJob,
    AccountJobKind,
    Collection,
    CollectionImage,
    Comment,
    CreditTransaction,
    Follow,
    Image,
    ImageSet,
    JobStatus,
    Like,
    User,
)
from pixel_studio.services.accounts import account_jobs
from pixel_studio.services.accounts.account_jobs import Publish
from pixel_studio.services.errors import Conflict, NotFound
from pixel_studio.services.visibility import visible_to
from pixel_studio.settings import Settings, get_settings
from pixel_studio.storage import Storage, StorageError, get_storage

log = logging.getLogger(__name__)

EXPORT_PREFIX = "private/exports/"
KEEP_FOR = timedelta(days=1)  # a zip lives this long, then the periodic task removes it
LINK_SECONDS = 600  # a download link works this long, for this user only
PROGRESS_EVERY = 0.5  # seconds between progress events (and row updates) while zipping
FAILED = "The export failed. Please try again."


def export_key(user_id: int) -> str:
    return f"{EXPORT_PREFIX}u{int(user_id)}/{uuid.uuid4().hex}.zip"


def start_export(session: Session, user_id: int) -> AccountJob:
    """Queue an export of the user's data. Commits; the caller enqueues the job id.
    Conflict while another export of theirs is still running."""
    user = session.get(User, user_id)
    if user is None or user.deleted_at is not None:
        raise NotFound("That user does not exist.")
    if account_jobs.active_job(session, user_id, AccountJobKind.export) is not None:
        raise Conflict("An export is already being prepared.")
    job = account_jobs.new_job(session, user_id, AccountJobKind.export)
    session.commit()
    return job


def latest_export(session: Session, user_id: int) -> AccountJob | None:
    return session.exec(
        select(AccountJob)
        .where(AccountJob.user_id == user_id, AccountJob.kind == AccountJobKind.export)
        .order_by(col(AccountJob.created_at).desc())
        .execution_options(populate_existing=True)
    ).first()


def export_link(
    session: Session, storage: Storage, user_id: int, *, expires_in: int = LINK_SECONDS
) -> str:
    """A fresh signed link to the user's newest finished export; NotFound when there is none
    (never made, still running, or removed after a day)."""
    job = latest_export(session, user_id)
    now = utcnow()
    if (
        job is None
        or job.status != JobStatus.succeeded
        or not job.result_key
        or (job.expires_at is not None and job.expires_at <= now)
    ):
        raise NotFound("No export is ready. Start a new one.")
    return storage.private_url(job.result_key, user_id, expires_in)


# ---------------------------------------------------------------- what goes in the zip


def _when(value: datetime | None) -> str | None:
    if value is None:
        return None
    return (value if value.tzinfo else value.replace(tzinfo=UTC)).isoformat()


def _original_name(image: Image) -> str:
    ext = image.original_key.rsplit(".", 1)[-1] if "." in image.original_key else "bin"
    return f"originals/{image.id}.{ext}"


def export_data(session: Session, user_id: int) -> dict[str, Any]:
    """Every section of the export as JSON-ready values, keyed by file name."""
    user = session.get(User, user_id)
    if user is None:
        raise NotFound("That user does not exist.")
    images = session.exec(
        select(Image).where(Image.user_id == user_id).order_by(col(Image.id))
    ).all()
    sets = session.exec(
        select(ImageSet).where(ImageSet.user_id == user_id).order_by(col(ImageSet.id))
    ).all()
    visible = visible_to(user_id, Image)
    collections = []
    for c in session.exec(
        select(Collection).where(Collection.user_id == user_id).order_by(col(Collection.id))
    ).all():
        ids = session.exec(
            select(CollectionImage.image_id)
            .join(Image, col(Image.id) == col(CollectionImage.image_id))
            .where(CollectionImage.collection_id == c.id, visible)
            .order_by(col(CollectionImage.id))
        ).all()
        collections.append(
            {
                "id": c.id,
                "title": c.title,
                "description": c.description,
                "private": c.private,
                "created_at": _when(c.created_at),
                "image_ids": list(ids),
            }
        )
    comments = session.exec(
        select(Comment).where(Comment.user_id == user_id).order_by(col(Comment.id))
    ).all()
    likes = session.exec(
        select(Like.image_id, Like.created_at)
        .join(Image, col(Image.id) == col(Like.image_id))
        .where(Like.user_id == user_id, visible)
        .order_by(col(Like.created_at), col(Like.image_id))
    ).all()
    following = session.exec(
        select(User.username, Follow.created_at)
        .join(User, col(User.id) == col(Follow.followee_id))
        .where(Follow.follower_id == user_id, col(User.deleted_at).is_(None))
        .order_by(col(Follow.created_at), col(User.username))
    ).all()
    followers = session.exec(
        select(User.username, Follow.created_at)
        .join(User, col(User.id) == col(Follow.follower_id))
        .where(Follow.followee_id == user_id, col(User.deleted_at).is_(None))
        .order_by(col(Follow.created_at), col(User.username))
    ).all()
    ledger = session.exec(
        select(CreditTransaction)
        .where(CreditTransaction.user_id == user_id)
        .order_by(col(CreditTransaction.id))
    ).all()
    return {
        "account.json": {
            "id": user.id,
            "username": user.username,
            "email": user.email,
            "created_at": _when(user.created_at),
            "credits": user.credits,
            "default_private": user.default_private,
            "has_password": user.password_hash is not None,
        },
        "images.json": [
            {
                "id": i.id,
                "set_id": i.set_id,
                "prompt": i.prompt,
                "title": i.title,
                "model": i.model,
                "params": i.params,
                "width": i.width,
                "height": i.height,
                "seed": i.seed,
                "private": i.private,
                "parent_id": i.parent_id,
                "like_count": i.like_count,
                "comment_count": i.comment_count,
                "created_at": _when(i.created_at),
                "file": _original_name(i),
            }
            for i in images
        ],
        "sets.json": [
            {
                "id": s.id,
                "prompt": s.prompt,
                "model": s.model,
                "params": s.params,
                "created_at": _when(s.created_at),
            }
            for s in sets
        ],
        "collections.json": collections,
        # Only the user's own words: the image is named by id, never by its prompt.
        "comments.json": [
            {
                "id": c.id,
                "image_id": c.image_id,
                "parent_id": c.parent_id,
                "body": c.body,
                "deleted": c.deleted,
                "like_count": c.like_count,
                "created_at": _when(c.created_at),
            }
            for c in comments
        ],
        "likes.json": [{"image_id": i, "created_at": _when(t)} for i, t in likes],
        "follows.json": {
            "following": [{"username": n, "since": _when(t)} for n, t in following],
            "followers": [{"username": n, "since": _when(t)} for n, t in followers],
        },
        "credits.json": [
            {
                "id": t.id,
                "amount": t.amount,
                "kind": t.kind,
                "note": t.note,
                "balance_after": t.balance_after,
                "job_id": t.job_id,
                "created_at": _when(t.created_at),
            }
            for t in ledger
        ],
    }


# ---------------------------------------------------------------- the job


class _Progress:
    """Writes `done` to the row and publishes at most every PROGRESS_EVERY seconds."""

    def __init__(self, engine: Engine, job: AccountJob, emit: Publish) -> None:
        self.engine, self.job, self.emit = engine, job, emit
        self._last = 0.0

    def step(self, done: int, *, force: bool = False) -> None:
        now = time.monotonic()
        if not force and now - self._last < PROGRESS_EVERY:
            return
        self._last = now
        with session_scope(self.engine) as session:
            session.execute(
                update(AccountJob).where(col(AccountJob.id) == self.job.id).values(done=done)
            )
            session.commit()
        self.job.done = done
        self.emit(account_jobs.event_of(self.job))


def _zip_bytes(data: dict[str, Any], images: list[Image], storage: Storage, on_file: Any) -> bytes:
    with tempfile.SpooledTemporaryFile(max_size=64 * 1024 * 1024) as buf:
        with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED) as zf:
            for name, value in data.items():
                zf.writestr(name, json.dumps(value, ensure_ascii=False, indent=2))
            for n, image in enumerate(images, start=1):
                try:
                    # PNG is already compressed: store it as is.
                    zf.writestr(
                        _original_name(image),
                        storage.get(image.original_key),
                        compress_type=zipfile.ZIP_STORED,
                    )
                except StorageError:
                    log.warning("export: image %s has no original file; skipped", image.id)
                on_file(n)
        buf.seek(0)
        return buf.read()


def run_export(
    job_id: str,
    *,
    engine: Engine | None = None,
    settings: Settings | None = None,
    storage: Storage | None = None,
    publish: Publish | None = None,
) -> None:
    """Claim the export, build and store its zip, end the job. Never raises for a job-level
    problem: a failure ends the job as failed with a message the page shows."""
    engine = engine or get_engine()
    settings = settings or get_settings()
    store = get_storage(settings) if storage is None else storage
    emit: Publish = partial(events.publish, settings=settings) if publish is None else publish
    key: str | None = None
    with session_scope(engine) as session:
        job = account_jobs.claim(session, job_id)
        if job is None:
            log.info("export %s: not claimable (finished, running elsewhere or unknown)", job_id)
            return
        try:
            data = export_data(session, job.user_id)
            images = list(
                session.exec(
                    select(Image).where(Image.user_id == job.user_id).order_by(col(Image.id))
                ).all()
            )
            job.total, job.done = len(images) + 1, 0
            session.add(job)
            session.commit()
            emit(account_jobs.event_of(job))
            progress = _Progress(engine, job, emit)
            blob = _zip_bytes(data, images, store, progress.step)
            key = export_key(job.user_id)
            store.put(key, blob, "application/zip")
            job = session.get(AccountJob, job_id, populate_existing=True) or job
            job.result_key, job.done = key, job.total
            job.expires_at = utcnow() + KEEP_FOR
            account_jobs.finish(session, job, JobStatus.succeeded)
        except Exception:
            log.exception("export %s failed", job_id)
            session.rollback()
            if key is not None:
                _discard(store, [key])
            job = session.get(AccountJob, job_id, populate_existing=True) or job
            account_jobs.finish(session, job, JobStatus.failed, FAILED)
            emit(account_jobs.event_of(job))
            return
        _drop_older(session, store, job)
        emit(account_jobs.event_of(job))


def _drop_older(session: Session, storage: Storage, newest: AccountJob) -> None:
    """Only the newest zip is kept: a new export replaces the previous one."""
    older = session.exec(
        select(AccountJob).where(
            AccountJob.user_id == newest.user_id,
            AccountJob.kind == AccountJobKind.export,
            col(AccountJob.result_key).is_not(None),
            AccountJob.id != newest.id,
        )
    ).all()
    _forget(session, storage, list(older))


def _forget(session: Session, storage: Storage, jobs: list[AccountJob]) -> int:
    """Delete these jobs' zips (files first is safe: the row only loses a dead link)."""
    keys = [j.result_key for j in jobs if j.result_key]
    if not keys:
        return 0
    _discard(storage, keys)
    for job in jobs:
        job.result_key = None
        session.add(job)
    session.commit()
    return len(keys)


def _discard(storage: Storage, keys: list[str]) -> None:
    try:
        storage.delete_many(keys)
    except Exception:  # a zip left behind is removed by the next expire_exports
        log.exception("could not delete export files %s", keys)


def expire_exports(session: Session, storage: Storage, *, now: datetime | None = None) -> int:
    """Remove export zips older than a day: those the rows name (by `expires_at`, indexed),
    then any file under the exports prefix that old, such as a zip whose job died before it
    recorded the key. Returns how many files were removed."""
    now = now or datetime.now(UTC)
    due = session.exec(
        select(AccountJob).where(
            col(AccountJob.expires_at) <= now, col(AccountJob.result_key).is_not(None)
        )
    ).all()
    removed = _forget(session, storage, list(due))
    cutoff = now - KEEP_FOR
    stale = [o.key for o in storage.list_objects(EXPORT_PREFIX) if o.modified <= cutoff]
    if stale:
        _discard(storage, stale)
        removed += len(stale)
    if removed:
        log.info("removed %d expired export file(s)", removed)
    return removed
