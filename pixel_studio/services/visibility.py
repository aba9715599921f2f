"""The one visibility rule: who may see an image, a set or a collection.

A thing is visible to its owner, and to everyone else only while it is public. Every read goes
through here, in Python (`is_visible`) or in SQL (`visible_to`), so the rule is written once
(DESIGN.md, Security). Callers turn "not visible" into NotFound: a private thing asked for by
someone else must look exactly like one that does not exist.
"""

from __future__ import annotations

from typing import Any, Protocol

from sqlalchemy import ColumnElement, false, or_


class Owned(Protocol):
    """Anything with an owner and a privacy flag: Image, Collection (a set follows its images)."""

    user_id: int
    private: bool


def is_visible(viewer_id: int | None, thing: Owned) -> bool:
    if not thing.private:
        return True
    return viewer_id is not None and viewer_id == thing.user_id


def visible_to(viewer_id: int | None, model: Any) -> ColumnElement[bool]:
    """The same rule as a WHERE clause over `model` (a table class with user_id and private)."""
    owner = model.user_id == viewer_id if viewer_id is not None else false()
    return or_(model.private == false(), owner)
