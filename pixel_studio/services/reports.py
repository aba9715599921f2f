"""Reports: a user flags an image, a comment or a profile for the admins' queue.

At most one report per reporter per item: the UNIQUE (reporter_id, target_type, target_id)
key decides, through INSERT .. ON CONFLICT DO NOTHING, so a second report (even a concurrent
one) writes nothing and is answered "already reported". Something the reporter cannot see
(private, deleted, suspended) is NotFound, exactly as when reading it. The admin's side
(queue, resolve, dismiss) is in services/admin.py.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator, BaseModel
from sqlmodel import Session

from pixel_studio.cache import Cache
from pixel_studio.db import utcnow
from pixel_studio.models import Comment, Report, ReportStatus, ReportTarget
from pixel_studio.services import rate_limits
from pixel_studio.services.errors import InvalidInput, NotFound
from pixel_studio.services.profiles import _user_id as profile_user_id
from pixel_studio.services.social_sql import insert_ignore, visible_image
from pixel_studio.services.users import parse

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
