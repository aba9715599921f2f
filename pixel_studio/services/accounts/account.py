"""Delete my account.

Asked with the password (or, for an account without one, from a session signed in with
Google in the last FRESH_SIGN_IN minutes) and the username typed out. `request_deletion`
does at once, in one transaction, everything that must not wait: the account can no longer
sign in or be seen (sessions revoked, API tokens and Google links gone, the row anonymised and
marked `deleted_at`), its running generations are cancelled and refunded. The queue then runs
`run_deletion`, which removes everything else, each step safe to repeat.

The row itself stays as a tombstone (username "deleted-<id>", email "<id>@deleted.invalid", no
password, no avatar): the credit ledger keeps pointing at it, so the history is anonymised,
not lost, and every user's balance still equals their ledger's sum. Profiles, follow lists and
username look-ups skip rows with `deleted_at` set.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from sqlalchemy import delete, update
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from pixel_studio.cache import Cache, get_cache
from pixel_studio.db import get_engine, session_scope, utcnow
from pixel_studio.events import JobEvent
from pixel_studio.models import (
    AccountJob,
    AccountJobKind,
    ApiToken,
    AuditLog,
    Collection,
    Comment,
    CommentLike,
    Follow,
    GenerationJob,
    Image,
    ImageSet,
    JobStatus,
    Like,
    Notification,
    OAuthAccount,
    Report,
    User,
    UserSession,
)
from pixel_studio.services import cached, rate_limits
from pixel_studio.services.accounts import account_jobs
from pixel_studio.services.accounts.auth import hash_token
from pixel_studio.services.accounts.export import EXPORT_PREFIX
from pixel_studio.services.errors import AuthFailed, InvalidInput, NotFound
from pixel_studio.services.social import ranking
from pixel_studio.services.social.comments import _prune as prune_comment
from pixel_studio.services.social_sql import bump_counter
from pixel_studio.services.studio import sets
from pixel_studio.services.studio.job_state import ACTIVE, close_job
from pixel_studio.services.users import verify_password
from pixel_studio.settings import Settings, get_settings
from pixel_studio.storage import Storage, get_storage
from pixel_studio.storage.base import PRIVATE_PREFIX

log = logging.getLogger(__name__)

FRESH_SIGN_IN = timedelta(minutes=10)
NEEDS_FRESH_SIGN_IN = (
    "Your account has no password: sign out, sign in with Google again, and delete the "
    "account within 10 minutes."
)


def tombstone_name(user_id: int) -> str:
    return f"deleted-{user_id}"


def _fresh_session(session: Session, user_id: int, token: str | None) -> bool:
    """True if `token` is the user's live session and was signed in FRESH_SIGN_IN ago at most."""
    if not token:
        return False
    row = session.exec(
        select(UserSession).where(UserSession.token_hash == hash_token(token))
    ).first()
    return (
        row is not None
        and row.user_id == user_id
        and row.revoked_at is None
        and row.created_at >= utcnow() - FRESH_SIGN_IN
    )


def request_deletion(
    session: Session,
    cache: Cache,
    settings: Settings,
    user_id: int,
    *,
    password: str,
    confirm: str,
    session_token: str | None,
) -> AccountJob:
    """Check the person's proof, close the account, queue the rest. Commits; the caller
    enqueues the returned job. InvalidInput (field "confirm") when the typed username does not
    match; AuthFailed (field "password") for a wrong password or a stale Google sign-in."""
    user = session.get(User, user_id)
    if user is None or user.deleted_at is not None:
        raise NotFound("That account does not exist.")
    if confirm.strip().lower() != user.username.lower():
        raise InvalidInput("Type your username exactly to confirm.", field="confirm")
    if user.password_hash:
        limiter = rate_limits.limiter_for(cache)
        account = f"acct:{user_id}"
        if not verify_password(user, password):
            # Counts with wrong log-in passwords: no unlimited guessing from a stolen session.
            rate_limits.hit(limiter, rate_limits.AUTH, account, settings)
            raise AuthFailed("That password is not right.", field="password")
    elif not _fresh_session(session, user_id, session_token):
        raise AuthFailed(NEEDS_FRESH_SIGN_IN, field="password")
    closed: list[JobEvent] = []
    active = session.exec(
        select(GenerationJob.id).where(
            GenerationJob.user_id == user_id, col(GenerationJob.status).in_(ACTIVE)
        )
    ).all()
    for job_id in active:  # refunded now: the ledger stays exact
        event = close_job(session, job_id, JobStatus.cancelled, user_id=user_id)
        if event is not None:
            closed.append(event)
    now = utcnow()
    session.execute(
        update(UserSession)
        .where(col(UserSession.user_id) == user_id, col(UserSession.revoked_at).is_(None))
        .values(revoked_at=now)
    )
    session.execute(delete(ApiToken).where(col(ApiToken.user_id) == user_id))
    session.execute(delete(OAuthAccount).where(col(OAuthAccount.user_id) == user_id))
    user.username = tombstone_name(user_id)
    user.email = f"{user_id}@deleted.invalid"
    user.password_hash = None
    user.deleted_at = now
    session.add(user)
    session.add(
        AuditLog(
            actor_id=user_id,
            action="account.delete",
            target_type="user",
            target_id=str(user_id),
            reason="deleted by the account holder",
        )
    )
    job = account_jobs.new_job(session, user_id, AccountJobKind.delete)
    session.commit()
    # Each image page too: the visibility rule hides a deleted owner's images at once, as it
    # does a suspended one's (services/moderation/admin.user_scopes), not when the files are purged.
    images = session.exec(select(Image.id).where(col(Image.user_id) == user_id)).all()
    scopes = [cached.image_scope(i) for i in images if i is not None]
    cached.bump(cache, cached.user_scope(user_id), cached.PUBLIC_IMAGES, *scopes)
    return job


# ---------------------------------------------------------------- the job


def run_deletion(
    job_id: str,
    *,
    engine: Engine | None = None,
    settings: Settings | None = None,
    storage: Storage | None = None,
) -> None:
    """Remove everything of a closed account but its tombstone and ledger. Never raises for a
    job-level problem: a failure ends the job as failed and the periodic requeue retries."""
    engine = engine or get_engine()
    settings = settings or get_settings()
    store = get_storage(settings) if storage is None else storage
    with session_scope(engine) as session:
        job = account_jobs.claim(session, job_id)
        if job is None:
            log.info("deletion %s: not claimable", job_id)
            return
        user = session.get(User, job.user_id)
        if user is None or user.deleted_at is None:
            account_jobs.finish(session, job, JobStatus.failed, "The account is not closed.")
            return
        try:
            purge(session, store, job.user_id, keep_job=job_id)
        except Exception:
            log.exception("deletion %s failed", job_id)
            session.rollback()
            job = session.get(AccountJob, job_id, populate_existing=True) or job
            # Queued again: the periodic requeue (services/operations/job_recovery.py) runs it
            # later.
            job.status = JobStatus.queued
            session.add(job)
            session.commit()
            return
        job = session.get(AccountJob, job_id, populate_existing=True) or job
        account_jobs.finish(session, job, JobStatus.succeeded)


def _noop(_event: object) -> None:
    """Nobody is signed in to see a closed account's job events."""


def purge(session: Session, storage: Storage, user_id: int, *, keep_job: str) -> None:
    """Every step commits and is safe to repeat."""
    cache = get_cache()
    # Images, with their sets, files, likes, comments and collection entries.
    for set_id in session.exec(select(ImageSet.id).where(ImageSet.user_id == user_id)).all():
        sets.delete_set(session, user_id, set_id or 0, storage, publish=_noop)
    # Jobs without a set (failed, cancelled): the ledger's job ids become NULL.
    for job_id in session.exec(
        select(GenerationJob.id).where(
            GenerationJob.user_id == user_id, col(GenerationJob.status).in_(ACTIVE)
        )
    ).all():
        close_job(session, job_id, JobStatus.cancelled, user_id=user_id)
    session.execute(delete(GenerationJob).where(col(GenerationJob.user_id) == user_id))
    session.commit()
    _remove_likes(session, cache, user_id)
    _remove_comments(session, cache, user_id)
    _remove_follows(session, cache, user_id)
    session.execute(delete(Collection).where(col(Collection.user_id) == user_id))
    session.execute(
        delete(Notification).where(
            (col(Notification.user_id) == user_id) | (col(Notification.actor_id) == user_id)
        )
    )
    session.execute(delete(Report).where(col(Report.reporter_id) == user_id))
    session.execute(delete(UserSession).where(col(UserSession.user_id) == user_id))
    session.execute(delete(ApiToken).where(col(ApiToken.user_id) == user_id))
    session.execute(delete(OAuthAccount).where(col(OAuthAccount.user_id) == user_id))
    session.commit()
    _remove_files(session, storage, user_id, keep_job)
    cached.bump(
        cache,
        cached.user_scope(user_id),
        cached.follows_scope(user_id),
        cached.likes_scope(user_id),
        cached.PUBLIC_IMAGES,
    )


def _remove_likes(session: Session, cache: Cache, user_id: int) -> None:
    """Each like taken back with its counter moved once (a conditional DELETE decides)."""
    for image_id in session.exec(select(Like.image_id).where(Like.user_id == user_id)).all():
        gone = session.execute(
            delete(Like).where(col(Like.user_id) == user_id, col(Like.image_id) == image_id)
        )
        if gone.rowcount == 1:  # type: ignore[attr-defined]
            session.execute(bump_counter(Image, "like_count", image_id, -1))
            ranking.update_hot_score(session, image_id)
        image = session.get(Image, image_id)
        session.commit()
        if image is not None:
            cached.bump(
                cache,
                cached.image_scope(image_id),
                cached.user_scope(image.user_id),
                cached.PUBLIC_IMAGES,
            )
    for comment_id in session.exec(
        select(CommentLike.comment_id).where(CommentLike.user_id == user_id)
    ).all():
        gone = session.execute(
            delete(CommentLike).where(
                col(CommentLike.user_id) == user_id, col(CommentLike.comment_id) == comment_id
            )
        )
        if gone.rowcount == 1:  # type: ignore[attr-defined]
            session.execute(bump_counter(Comment, "like_count", comment_id, -1))
        session.commit()


def _remove_comments(session: Session, cache: Cache, user_id: int) -> None:
    """The rule of comments.delete_comment: blanked and kept as "deleted" while it has
    replies, removed otherwise; the image's count moves once per comment."""
    rows = session.exec(
        select(Comment.id, Comment.image_id).where(Comment.user_id == user_id)
    ).all()
    for comment_id, image_id in rows:
        marked = session.execute(
            update(Comment)
            .where(col(Comment.id) == comment_id, col(Comment.deleted).is_(False))
            .values(deleted=True, body="")
        )
        # Already-deleted ones keep no text either (an old row may predate the blanking).
        session.execute(update(Comment).where(col(Comment.id) == comment_id).values(body=""))
        prune_comment(session, comment_id)
        if marked.rowcount == 1:  # type: ignore[attr-defined]
            session.execute(bump_counter(Image, "comment_count", image_id, -1))
        session.commit()
        cached.bump(cache, cached.image_scope(image_id), cached.PUBLIC_IMAGES)


def _remove_follows(session: Session, cache: Cache, user_id: int) -> None:
    pairs = session.exec(
        select(Follow.follower_id, Follow.followee_id).where(
            (col(Follow.follower_id) == user_id) | (col(Follow.followee_id) == user_id)
        )
    ).all()
    session.execute(
        delete(Follow).where(
            (col(Follow.follower_id) == user_id) | (col(Follow.followee_id) == user_id)
        )
    )
    session.commit()
    others = {a for a, _b in pairs} | {b for _a, b in pairs}
    scopes = [cached.user_scope(other) for other in others]
    scopes += [cached.follows_scope(follower) for follower, _b in pairs]  # their feeds
    cached.bump(cache, *scopes)


def _remove_files(session: Session, storage: Storage, user_id: int, keep_job: str) -> None:
    """The avatar, exports, and any file left under the user's prefixes (an orphan a killed
    worker wrote): nothing stored of the user stays."""
    user = session.get(User, user_id, populate_existing=True)
    keys: list[str] = []
    if user is not None and user.avatar_key:
        keys.append(user.avatar_key)
    exports = session.exec(
        select(AccountJob).where(AccountJob.user_id == user_id, AccountJob.id != keep_job)
    ).all()
    keys += [j.result_key for j in exports if j.result_key]
    for prefix in (
        f"images/u{user_id}/",
        f"{PRIVATE_PREFIX}images/u{user_id}/",
        f"avatars/u{user_id}/",
        f"{EXPORT_PREFIX}u{user_id}/",
    ):
        keys += [o.key for o in storage.list_objects(prefix)]
    if keys:
        storage.delete_many(sorted(set(keys)))
    if user is not None:
        user.avatar_key = None
        session.add(user)
    session.execute(
        delete(AccountJob).where(col(AccountJob.user_id) == user_id, col(AccountJob.id) != keep_job)
    )
    session.commit()
