"""Keyset paging shared by the infinite-scroll lists (explore, feed, profile, likes, sets,
collections, notifications, credits, follow lists)."""

from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence
from typing import TypeVar

T = TypeVar("T")


def append_new(shown: Sequence[T], more: Sequence[T], key: Callable[[T], Hashable]) -> list[T]:
    """`shown` followed by the rows of the next page it does not show yet: a row that moved
    between pages while the user scrolled (a new like, a new job) is not listed twice."""
    known = {key(row) for row in shown}
    return [*shown, *(row for row in more if key(row) not in known)]
