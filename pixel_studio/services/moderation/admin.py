"""Admin work: users (search, credits, suspension), content removal, the audit log page.
The reports queue (list, resolve, dismiss) is in services/moderation/reports.py, under the same
check.

Every function takes the acting user's id and first checks that they are an admin
(`require_admin`): anyone else gets NotFound, the same answer as a page that does not exist,
and nothing is read or written. Every action adds exactly one audit row
(services/moderation/audit.py) to the transaction that makes the change, so the log and the data
cannot disagree.

Suspension hides the user's public content from everyone else through the one visibility
rule (services/visibility.py, which reads `User.suspended_at`); the caches that showed it are
invalidated here by bumping their scopes (services/cached.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Annotated

from pydantic import AfterValidator, BaseModel
from sqlalchemy import func, or_, update
from sqlmodel import Session, col, select

from pixel_studio.cache import Cache
from pixel_studio.db import utcnow
from pixel_studio.models import Comment, CreditKind, Image, User
from pixel_studio.services import cached, credits
from pixel_studio.services.accounts import auth
from pixel_studio.services.errors import Conflict, InsufficientCredits, InvalidInput, NotFound
from pixel_studio.services.moderation import audit
from pixel_studio.services.moderation.audit import Action
from pixel_studio.services.social import comments
from pixel_studio.services.studio import images
from pixel_studio.services.users import parse
from pixel_studio.storage import Storage

NOT_FOUND = "This page does not exist."
PAGE_MAX = 100
MAX_GRANT = 1_000_000


class NotAdmin(NotFound):
    """The actor is not an admin: answered exactly like a page that does not exist."""


def require_admin(session: Session, actor_id: int | None) -> User:
    """The acting admin; NotFound for a visitor, a non-admin, or a suspended/deleted admin."""
    actor = session.get(User, actor_id, populate_existing=True) if actor_id is not None else None
    if (
        actor is None
        or not actor.is_admin
        or actor.suspended_at is not None
        or actor.deleted_at is not None
    ):
        raise NotAdmin(NOT_FOUND)
    return actor


def _why(value: str) -> str:
    value = " ".join(value.split())
    if "\x00" in value:
        raise ValueError("The reason contains a character that is not allowed.")
    if not value:
        raise ValueError("Give a reason: it goes into the audit log.")
    if len(value) > 500:
        raise ValueError("A reason is 500 characters at most.")
    return value


class Reason(BaseModel):
    reason: Annotated[str, AfterValidator(_why)]


def reason_text(reason: str) -> str:
    """An admin's reason as the audit log keeps it; InvalidInput(field="reason") if empty."""
    return parse(Reason, {"reason": reason}).reason


# --- users ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class UserRow:
    id: int
    username: str
    email: str
    credits: int
    is_admin: bool
    suspended: bool
    created_at: datetime


@dataclass(frozen=True)
class UserPage:
    items: list[UserRow]
    next_before: int | None


def _like(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def search_users(
    session: Session,
    actor_id: int | None,
    query: str = "",
    *,
    before: int | None = None,
    limit: int = 50,
) -> UserPage:
    """Users whose username or email contains `query` (case-insensitive), newest first,
    keyset on the id. Deleted accounts' tombstones are left out."""
    require_admin(session, actor_id)
    limit = max(1, min(limit, PAGE_MAX))
    text = query.strip().lower().replace("\x00", "")[:320]
    stmt = select(User).where(col(User.deleted_at).is_(None))
    if text:
        pattern = _like(text)
        stmt = stmt.where(
            or_(
                func.lower(col(User.username)).like(pattern, escape="\\"),
                func.lower(col(User.email)).like(pattern, escape="\\"),
            )
        )
    if before is not None:
        stmt = stmt.where(col(User.id) < before)
    rows = list(session.exec(stmt.order_by(col(User.id).desc()).limit(limit + 1)))
    items = [
        UserRow(
            id=u.id or 0,
            username=u.username,
            email=u.email,
            credits=u.credits,
            is_admin=u.is_admin,
            suspended=u.suspended_at is not None,
            created_at=u.created_at,
        )
        for u in rows[:limit]
    ]
    return UserPage(items, items[-1].id if len(rows) > limit and items else None)


def _target_user(session: Session, user_id: int) -> User:
    user = session.get(User, user_id, populate_existing=True)
    if user is None or user.deleted_at is not None:
        raise NotFound("That user does not exist.")
    return user


def change_credits(
    session: Session, actor_id: int | None, user_id: int, amount: int, reason: str
) -> int:
    """Grant (amount > 0) or remove (amount < 0) credits: one "admin" ledger row through
    credits.change_balance, never below zero (InsufficientCredits). Commits; the new balance."""
    actor = require_admin(session, actor_id)
    why = reason_text(reason)
    if amount == 0 or abs(amount) > MAX_GRANT:
        raise InvalidInput(f"Enter a non-zero number up to {MAX_GRANT:,}.", field="amount")
    user = _target_user(session, user_id)
    try:
        entry = credits.change_balance(session, user_id, amount, CreditKind.admin, note=why)
    except InsufficientCredits:
        session.rollback()
        raise InsufficientCredits(
            f"{user.username} has {user.credits} credits: the balance never goes below zero.",
            field="amount",
        ) from None
    audit.record(
        session,
        actor.id,
        Action.credits_grant if amount > 0 else Action.credits_remove,
        "user",
        user_id,
        reason=why,
        details={"amount": amount, "balance_after": entry.balance_after},
    )
    session.commit()
    return entry.balance_after


def user_scopes(session: Session, user_id: int) -> list[str]:
    """Every cached read that can show this user's content to others: their profile, the
    public listings (explore, search, feeds, liked lists) and each of their images' pages."""
    ids = session.exec(select(Image.id).where(col(Image.user_id) == user_id)).all()
    return [cached.user_scope(user_id), cached.PUBLIC_IMAGES] + [
        cached.image_scope(i) for i in ids if i is not None
    ]


def set_suspended(
    session: Session,
    cache: Cache,
    actor_id: int | None,
    user_id: int,
    suspended: bool,
    reason: str,
) -> None:
    """Suspend (or restore) an account. Suspending revokes its sessions at once (and the
    session checks refuse a suspended user anyway); its public content disappears for
    others until it is restored. Conflict if it already is in that state; an admin cannot
    suspend themselves. Commits."""
    actor = require_admin(session, actor_id)
    why = reason_text(reason)
    _target_user(session, user_id)
    if suspended and user_id == actor.id:
        raise InvalidInput("You cannot suspend your own account.", field="reason")
    now = utcnow()
    stmt = update(User).where(col(User.id) == user_id)
    if suspended:
        stmt = stmt.where(col(User.suspended_at).is_(None)).values(suspended_at=now)
    else:
        stmt = stmt.where(col(User.suspended_at).is_not(None)).values(suspended_at=None)
    if session.execute(stmt).rowcount != 1:  # type: ignore[attr-defined]
        session.rollback()
        state = "already suspended" if suspended else "not suspended"
        raise Conflict(f"That account is {state}.")
    revoked = auth.revoke_all(session, user_id) if suspended else 0
    audit.record(
        session,
        actor.id,
        Action.user_suspend if suspended else Action.user_restore,
        "user",
        user_id,
        reason=why,
        details={"sessions_revoked": revoked} if suspended else {},
    )
    session.commit()
    cached.bump(cache, *user_scopes(session, user_id))


def audit_log(
    session: Session, actor_id: int | None, *, before: int | None = None, limit: int = 50
) -> audit.AuditPage:
    """The audit log page (newest first, keyset on the id)."""
    require_admin(session, actor_id)
    return audit.list_entries(session, before=before, limit=limit)


# --- content -------------------------------------------------------------------------------


def remove_image(
    session: Session,
    storage: Storage,
    cache: Cache,
    actor_id: int | None,
    image_id: int,
    reason: str,
) -> None:
    """Delete any image (images.delete_image's moderator path) with a reason. Commits the
    deletion and its audit row together. NotFound if it does not exist."""
    actor = require_admin(session, actor_id)
    why = reason_text(reason)
    image = session.get(Image, image_id, populate_existing=True)
    if image is None:
        raise NotFound("That image does not exist.")
    audit.record(
        session,
        actor.id,
        Action.image_remove,
        "image",
        image_id,
        reason=why,
        details={"owner_id": image.user_id, "prompt": image.prompt[:200]},
    )
    try:
        images.delete_image(session, storage, actor.id or 0, image_id, cache=cache, moderator=True)
    except BaseException:
        session.rollback()
        raise


def remove_comment(
    session: Session, cache: Cache, actor_id: int | None, comment_id: int, reason: str
) -> None:
    """Delete any comment with a reason, by the comments' own rule (a "deleted" placeholder
    while it has replies). Commits the deletion and its audit row together."""
    actor = require_admin(session, actor_id)
    why = reason_text(reason)
    comment = session.get(Comment, comment_id, populate_existing=True)
    if comment is None or comment.deleted:
        raise NotFound("That comment does not exist.")
    audit.record(
        session,
        actor.id,
        Action.comment_remove,
        "comment",
        comment_id,
        reason=why,
        details={
            "author_id": comment.user_id,
            "image_id": comment.image_id,
            "body": comment.body[:200],
        },
    )
    try:
        comments.remove_comment(session, cache, comment_id)
    except BaseException:
        session.rollback()
        raise
