"""The one visibility rule: who may see an image, a set or a collection.

A thing is visible to its owner, and to everyone else only while it is public AND its owner
is neither suspended (an admin's moderation, services/moderation/admin.py: a suspended user's public
content disappears for others and comes back on restore, nothing about it changes) nor
deleted (services/accounts/account.py: the account is closed at once, its files go later).
"Suspended" below means both: an owner whose things others must not see. Every read goes
through here, in Python (`is_visible`) or in SQL (`visible_to`), so the rule is written once
(DESIGN.md, Security). Callers turn "not visible" into NotFound: a private thing asked for by
someone else must look exactly like one that does not exist.
"""

from __future__ import annotations

from typing import Any, Protocol

from sqlalchemy import ColumnElement, Select, and_, false, or_, select
from sqlalchemy.orm import object_session
from sqlalchemy.orm.exc import UnmappedInstanceError
from sqlmodel import Session, col

from pixel_studio.models import User


class Owned(Protocol):
    """Anything with an owner and a privacy flag: Image, Collection (a set follows its images)."""

    user_id: int
    private: bool


def is_visible(viewer_id: int | None, thing: Owned, *, owner_suspended: bool | None = None) -> bool:
    """`owner_suspended`: whether the owner is suspended, when the caller already knows (the
    image page's read model carries it); None looks it up through the thing's session, and
    only when it matters (a public thing seen by someone else)."""
    if viewer_id is not None and viewer_id == thing.user_id:
        return True
    if thing.private:
        return False
    if owner_suspended is None:
        owner_suspended = _owner_suspended(thing)
    return not owner_suspended


def _owner_suspended(thing: Owned) -> bool:
    known = getattr(thing, "owner_suspended", None)
    if isinstance(known, bool):
        return known
    try:
        session = object_session(thing)
    except UnmappedInstanceError:  # a read model, not a row
        session = None
    if session is None:  # ask the database in a session of its own
        from pixel_studio.db import session_scope

        with session_scope() as own:
            return is_suspended(own, thing.user_id)
    # session.get: the identity map answers for a page of one owner's things after the first.
    owner = session.get(User, thing.user_id)
    return owner is not None and (owner.suspended_at is not None or owner.deleted_at is not None)


def owner_hidden() -> ColumnElement[bool]:
    """WHERE clause over User: suspended or deleted (partial indexes on each, models.User)."""
    return or_(col(User.suspended_at).is_not(None), col(User.deleted_at).is_not(None))


def owner_active() -> ColumnElement[bool]:
    """WHERE clause over a User row the statement already joins: neither suspended nor
    deleted. Where the owner is joined anyway (image cards) this is a filter on a row
    PostgreSQL has fetched, not the NOT IN subplan of `active_author` per statement."""
    return and_(col(User.suspended_at).is_(None), col(User.deleted_at).is_(None))


def is_suspended(session: Session, user_id: int) -> bool:
    """Suspended or deleted: whether others must not see the user's things."""
    return (
        session.exec(
            select(User.id).where(col(User.id) == user_id, owner_hidden())  # type: ignore[call-overload]
        ).first()
        is not None
    )


def suspended_user_ids() -> Select[Any]:
    """Ids of suspended (or deleted) users, as a subquery (few rows: evaluated once per
    statement)."""
    return select(User.id).where(owner_hidden())  # type: ignore[call-overload, no-any-return]


def active_author(user_id_column: Any) -> ColumnElement[bool]:
    """WHERE clause: the row's author is not suspended (comments, lists of people)."""
    return col(user_id_column).not_in(suspended_user_ids())


def visible_to(viewer_id: int | None, model: Any) -> ColumnElement[bool]:
    """The same rule as a WHERE clause over `model` (a table class with user_id and private)."""
    owner = model.user_id == viewer_id if viewer_id is not None else false()
    return or_(and_(model.private == false(), active_author(model.user_id)), owner)
