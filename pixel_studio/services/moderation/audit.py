"""The audit log: who did what, to whom, why and when, for every admin action.

Append-only by construction: this module inserts rows and reads them, and has no function
that updates or deletes one (nor has any other module). `record` adds the row to the caller's
session, so it commits in the same transaction as the action it describes: an action that
rolls back leaves no row, and an action never commits without its row.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlmodel import Session, col, select

from pixel_studio.db import utcnow
from pixel_studio.models import AuditLog, User

PAGE_MAX = 100


class Action:
    """The actions written today (the `action` column)."""

    credits_grant = "credits.grant"
    credits_remove = "credits.remove"
    user_suspend = "user.suspend"
    user_restore = "user.restore"
    image_remove = "image.remove"
    comment_remove = "comment.remove"
    report_resolve = "report.resolve"
    report_dismiss = "report.dismiss"


def record(
    session: Session,
    actor_id: int | None,
    action: str,
    target_type: str,
    target_id: int | str,
    *,
    reason: str = "",
    details: dict[str, Any] | None = None,
) -> AuditLog:
    """Add one row to the session (the caller commits it with its action). `actor_id` None:
    the command line (`pixel-studio grant-credits`), which has no signed-in admin."""
    row = AuditLog(
        actor_id=actor_id,
        action=action,
        target_type=target_type,
        target_id=str(target_id),
        reason=reason[:500],
        details=dict(details or {}),
        created_at=utcnow(),
    )
    session.add(row)
    return row


@dataclass(frozen=True)
class AuditEntry:
    id: int
    created_at: datetime
    actor: str  # the admin's username; "command line" when no admin was signed in
    action: str
    target_type: str
    target_id: str
    reason: str
    details: dict[str, Any]


@dataclass(frozen=True)
class AuditPage:
    items: list[AuditEntry]
    next_before: int | None  # pass back as `before` for the next (older) page


def list_entries(session: Session, *, before: int | None = None, limit: int = 50) -> AuditPage:
    """Newest first, keyset on the id (rows are only appended, so id order is time order)."""
    limit = max(1, min(limit, PAGE_MAX))
    stmt = (
        select(AuditLog, User.username)
        .outerjoin(User, col(User.id) == col(AuditLog.actor_id))
        .order_by(col(AuditLog.id).desc())
        .limit(limit + 1)
    )
    if before is not None:
        stmt = stmt.where(col(AuditLog.id) < before)
    rows = list(session.exec(stmt))
    items = [
        AuditEntry(
            id=row.id or 0,
            created_at=row.created_at,
            actor=username
            or ("command line" if (row.details or {}).get("via") == "cli" else "(deleted account)"),
            action=row.action,
            target_type=row.target_type,
            target_id=row.target_id,
            reason=row.reason,
            details=dict(row.details or {}),
        )
        for row, username in rows[:limit]
    ]
    more = len(rows) > limit
    return AuditPage(items=items, next_before=items[-1].id if more and items else None)
