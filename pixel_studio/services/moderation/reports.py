"""Reports: a user flags an image, a comment or a profile for the admins' queue.

At most one report per reporter per item: the UNIQUE (reporter_id, target_type, target_id)
key decides, through INSERT .. ON CONFLICT DO NOTHING, so a second report (even a concurrent
one) writes nothing and is answered "already reported". Something the reporter cannot see
(private, deleted, suspended) is NotFound, exactly as when reading it. The admins' side
(queue, resolve, dismiss) is at the end, behind services/moderation/admin.require_admin.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Annotated

from pydantic import AfterValidator, BaseModel
from sqlalchemy import update
from sqlmodel import Session, col, select

from pixel_studio.cache import Cache
from pixel_studio.db import utcnow
from pixel_studio.models import Comment, Image, Report, ReportStatus, ReportTarget, User
from pixel_studio.services import cached, rate_limits
from pixel_studio.services.accounts import auth
from pixel_studio.services.errors import Conflict, InvalidInput, NotFound
from pixel_studio.services.moderation import admin, audit
from pixel_studio.services.moderation.audit import Action
from pixel_studio.services.social import comments
from pixel_studio.services.social.profiles import _user_id as profile_user_id
from pixel_studio.services.social_sql import insert_ignore, visible_image
from pixel_studio.services.studio import images
from pixel_studio.services.users import parse
from pixel_studio.storage import Storage

REASON_MAX = 500
REPORTED = "Thanks: the admins will look at it."
ALREADY_REPORTED = "You have already reported this."


def _reason(value: str) -> str:
    value = " ".join(value.split())
    if "\x00" in value:
        raise ValueError("The reason contains a character that is not allowed.")
    if not value:
        raise ValueError("Say briefly what is wrong.")
    if len(value) > REASON_MAX:
        raise ValueError(f"A reason is {REASON_MAX} characters at most.")
    return value


class ReportInput(BaseModel):
    reason: Annotated[str, AfterValidator(_reason)]


def clean_reason(reason: str) -> str:
    """The reason as stored; InvalidInput(field="reason") when empty, too long or NUL."""
    return parse(ReportInput, {"reason": reason}).reason


def _check_visible(session: Session, reporter_id: int, target: ReportTarget, target_id: int) -> int:
    """The item's owner, if the reporter may see the item; NotFound otherwise."""
    if target is ReportTarget.image:
        return visible_image(session, reporter_id, target_id).user_id
    if target is ReportTarget.comment:
        comment = session.get(Comment, target_id, populate_existing=True)
        if comment is None or comment.deleted:
            raise NotFound("That comment does not exist.")
        try:  # a comment is visible with its image
            visible_image(session, reporter_id, comment.image_id)
        except NotFound:
            raise NotFound("That comment does not exist.") from None
        return comment.user_id
    return target_id


def report(
    session: Session,
    cache: Cache,
    reporter_id: int,
    target_type: str,
    target_id: int | str,
    reason: str,
) -> bool:
    """Report an item; True if this report was recorded, False if the reporter had already
    reported it (nothing written). Commits. `target_type` is image, comment or user; for a
    user, `target_id` may be the username. InvalidInput for a bad reason or one's own item;
    NotFound for what the reporter cannot see."""
    rate_limits.hit_write(cache, reporter_id)  # the write tier, per user, before any work
    try:
        target = ReportTarget(target_type)
    except ValueError:
        raise InvalidInput("Choose what to report.", field="target_type") from None
    text = clean_reason(reason)
    if target is ReportTarget.user:
        # A profile is found by its username; deleted and suspended accounts have none.
        item_id = profile_user_id(session, str(target_id).strip().lower())
    else:
        try:
            item_id = int(target_id)
        except (TypeError, ValueError):
            raise NotFound("That does not exist.") from None
    owner = _check_visible(session, reporter_id, target, item_id)
    if owner == reporter_id:
        raise InvalidInput("That is yours: there is nothing to report.", field="reason")
    written = insert_ignore(
        session,
        Report,
        {
            "reporter_id": reporter_id,
            "target_type": target.value,
            "target_id": item_id,
            "reason": text,
            "status": ReportStatus.open.value,
            "created_at": utcnow(),
        },
    )
    session.commit()
    return written


# --- the admins' queue ---------------------------------------------------------------------


@dataclass(frozen=True)
class ReportRow:
    id: int
    created_at: datetime
    reporter: str
    target_type: str
    target_id: int
    target_label: str  # what the admin recognises: a prompt, a comment's text, a username
    reason: str
    status: str


@dataclass(frozen=True)
class ReportPage:
    items: list[ReportRow]
    next_before: int | None


def _label(session: Session, target_type: str, target_id: int) -> str:
    if target_type == "image":
        image = session.get(Image, target_id)
        return image.prompt[:120] if image else "(removed)"
    if target_type == "comment":
        comment = session.get(Comment, target_id)
        return comment.body[:120] if comment and not comment.deleted else "(removed)"
    user = session.get(User, target_id)
    return f"@{user.username}" if user else "(removed)"


def list_reports(
    session: Session,
    actor_id: int | None,
    *,
    status: str = ReportStatus.open,
    before: int | None = None,
    limit: int = 50,
) -> ReportPage:
    """The queue: reports in one status, newest first, keyset on the id."""
    admin.require_admin(session, actor_id)
    try:
        wanted = ReportStatus(status)
    except ValueError:
        raise InvalidInput("Unknown report status.", field="status") from None
    limit = max(1, min(limit, admin.PAGE_MAX))
    stmt = (
        select(Report, User.username)
        .outerjoin(User, col(User.id) == col(Report.reporter_id))
        .where(col(Report.status) == wanted.value)
        .order_by(col(Report.id).desc())
        .limit(limit + 1)
    )
    if before is not None:
        stmt = stmt.where(col(Report.id) < before)
    rows = list(session.exec(stmt))
    items = [
        ReportRow(
            id=r.id or 0,
            created_at=r.created_at,
            reporter=name or "(deleted account)",
            target_type=r.target_type,
            target_id=r.target_id,
            target_label=_label(session, r.target_type, r.target_id),
            reason=r.reason,
            status=r.status,
        )
        for r, name in rows[:limit]
    ]
    return ReportPage(items, items[-1].id if len(rows) > limit and items else None)


def _close_report(session: Session, actor: User, report_id: int, status: ReportStatus) -> Report:
    report = session.get(Report, report_id, populate_existing=True)
    if report is None:
        raise NotFound("That report does not exist.")
    done = session.execute(
        update(Report)
        .where(col(Report.id) == report_id, col(Report.status) == ReportStatus.open.value)
        .values(status=status.value, resolved_by=actor.id, resolved_at=utcnow())
    )
    if done.rowcount != 1:  # type: ignore[attr-defined]
        session.rollback()
        raise Conflict("That report was already handled.")
    return report


def dismiss_report(session: Session, actor_id: int | None, report_id: int, reason: str) -> None:
    """Close a report without acting on its item. Commits, with one audit row."""
    actor = admin.require_admin(session, actor_id)
    why = admin.reason_text(reason)
    report = _close_report(session, actor, report_id, ReportStatus.dismissed)
    audit.record(
        session,
        actor.id,
        Action.report_dismiss,
        "report",
        report_id,
        reason=why,
        details={"target_type": report.target_type, "target_id": report.target_id},
    )
    session.commit()


def resolve_report(
    session: Session,
    storage: Storage,
    cache: Cache,
    actor_id: int | None,
    report_id: int,
    reason: str,
) -> None:
    """Close a report by removing its item: the image or comment is deleted, a reported
    user is suspended. Other open reports of the same item close with it. One audit row,
    committed with the change (an item already gone still closes the report)."""
    actor = admin.require_admin(session, actor_id)
    why = admin.reason_text(reason)
    report = _close_report(session, actor, report_id, ReportStatus.resolved)
    kind, item_id = report.target_type, report.target_id
    session.execute(  # the same item's other open reports: handled by this decision
        update(Report)
        .where(
            col(Report.target_type) == kind,
            col(Report.target_id) == item_id,
            col(Report.status) == ReportStatus.open.value,
        )
        .values(status=ReportStatus.resolved.value, resolved_by=actor.id, resolved_at=utcnow())
    )
    audit.record(
        session,
        actor.id,
        Action.report_resolve,
        "report",
        report_id,
        reason=why,
        details={"target_type": kind, "target_id": item_id, "removed": kind != "user"},
    )
    suspend_scopes: list[str] = []
    try:
        if kind == "image" and session.get(Image, item_id) is not None:
            images.delete_image(
                session, storage, actor.id or 0, item_id, cache=cache, moderator=True
            )
        elif kind == "comment" and (c := session.get(Comment, item_id)) and not c.deleted:
            comments.remove_comment(session, cache, item_id)
        elif kind == "user":
            stmt = (
                update(User)
                .where(col(User.id) == item_id, col(User.suspended_at).is_(None))
                .values(suspended_at=utcnow())
            )
            if session.execute(stmt).rowcount == 1:  # type: ignore[attr-defined]
                auth.revoke_all(session, item_id)
                suspend_scopes = admin.user_scopes(session, item_id)
    except BaseException:
        session.rollback()
        raise
    session.commit()  # a no-op when the removal above committed already
    if suspend_scopes:
        cached.bump(cache, *suspend_scopes)
