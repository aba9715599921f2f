"""Strict parsing of numbers that arrive as text from a URL or an input.

`str.isdigit` is not the test: it accepts "²" and other Unicode digits that `int()` then
refuses (a crash on page load), and a long run of digits passes it but overflows the
database's INTEGER ids (an error from PostgreSQL). Only ASCII digits, in range, count here.
"""

from __future__ import annotations

import re

MAX_ID = 2**31 - 1  # ids are INTEGER columns: 32-bit signed on PostgreSQL
_ASCII_DIGITS = re.compile(r"[0-9]{1,10}")


def parse_id(value: object) -> int | None:
    """A database id (1..MAX_ID) from a route or query parameter; None for anything else."""
    text = str(value if value is not None else "").strip()
    if not _ASCII_DIGITS.fullmatch(text):
        return None
    number = int(text)
    return number if 1 <= number <= MAX_ID else None


def parse_count(value: object, default: int = 1) -> int:
    """A small non-negative whole number typed into an input, or `default` until it is one."""
    text = str(value if value is not None else "").strip()
    return int(text) if re.fullmatch(r"[0-9]{1,6}", text) else default


def id_from_path(path: str) -> int | None:
    """The id a path ends with: "/sets/12" or "/sets/12/" → 12; anything else → None."""
    return parse_id(path.rstrip("/").rsplit("/", 1)[-1])
