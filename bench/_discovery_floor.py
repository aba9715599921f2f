"""The cold floor of bench/discovery.py: the service's work written by hand over a psycopg
connection (bench/discovery.py checks one out of a pool per call). The same query (the
visibility rule written out: public, the owner neither suspended nor deleted), the page built
from its rows (cards and the next page's cursor, or the image's fields) as JSON with the
standard library, stored in a dict under the call's key.
"""

from __future__ import annotations

import base64
import json
from datetime import datetime
from typing import Any

import psycopg

CARD_COLS = (
    "image.id, image.thumbnail_key, image.original_key, image.width, image.height, "
    "image.prompt, image.title, image.model, image.style, image.like_count, "
    "image.comment_count, image.created_at, image.user_id, user_account.username, "
    "user_account.avatar_key, image.private, image.hot"
)
JOIN = "FROM image JOIN user_account ON user_account.id = image.user_id"
# The visibility rule, by hand: public, and the owner neither suspended nor deleted.
SHOWN = (
    "NOT image.private AND user_account.suspended_at IS NULL AND user_account.deleted_at IS NULL"
)
FLOOR_SQL = {
    "recent": f"SELECT {CARD_COLS} {JOIN} WHERE {SHOWN} "
    "ORDER BY image.created_at DESC, image.id DESC LIMIT 25",
    "trending 7d": f"SELECT {CARD_COLS} {JOIN} WHERE {SHOWN} "
    "AND image.created_at >= now() - interval '7 days' "
    "ORDER BY image.hot DESC, image.id DESC LIMIT 25",
    "search common word": f"SELECT {CARD_COLS} {JOIN} WHERE {SHOWN} "
    "AND image.search @@ websearch_to_tsquery('english', %(q)s) "
    "ORDER BY image.created_at DESC, image.id DESC LIMIT 25",
    "search rare token": "WITH found AS MATERIALIZED (SELECT id FROM image WHERE NOT private "
    "AND search @@ websearch_to_tsquery('english', %(q)s)) "
    f"SELECT {CARD_COLS} {JOIN} WHERE image.id IN (SELECT id FROM found) AND {SHOWN} "
    "ORDER BY image.created_at DESC, image.id DESC LIMIT 25",
    "image detail": "SELECT image.id, image.user_id, image.set_id, image.prompt, image.model, "
    "image.params, image.width, image.height, image.seed, image.private, image.original_key, "
    "image.thumbnail_key, image.parent_id, image.like_count, image.comment_count, "
    "image.created_at, image.title, image.style, image.hot, user_account.username, "
    "user_account.avatar_key, "
    "(user_account.suspended_at IS NOT NULL OR user_account.deleted_at IS NOT NULL) AS hidden "
    f"{JOIN} WHERE image.id = %(id)s",
}


CARD_FIELDS = (
    "id", "thumbnail_key", "original_key", "width", "height", "prompt", "title", "model", "style",
    "like_count", "comment_count", "created_at", "user_id", "creator_username",
    "creator_avatar_key", "private",
)  # fmt: skip
_DETAIL_COLUMNS = FLOOR_SQL["image detail"][len("SELECT ") :].split(" (")[0]
DETAIL_FIELDS = (
    *(c.strip().split(".")[1] for c in _DETAIL_COLUMNS.split(",")[:-1]),
    "owner_suspended",
)
PAGE = 24  # ExploreQuery's default limit; the statements fetch one more


def _jsonable(value: object) -> str:
    return value.isoformat() if isinstance(value, datetime) else str(value)


def query_only(conn: psycopg.Connection[Any], case: str, args: dict[str, Any]) -> list[Any]:
    params = {k: v for k, v in args.items() if k in ("q", "id")}
    return conn.execute(FLOOR_SQL[case], params).fetchall()


def floor_call(
    conn: psycopg.Connection[Any], case: str, args: dict[str, Any], store: dict[str, str]
) -> None:
    """The service's work written by hand: the query, the page (cards and the next page's
    cursor, or the image's fields) as JSON, and that JSON stored under the call's key."""
    rows = query_only(conn, case, args)
    if case == "image detail":
        value: object = dict(zip(DETAIL_FIELDS, rows[0], strict=True))
    else:
        items = [dict(zip(CARD_FIELDS, row[:16], strict=True)) for row in rows[:PAGE]]
        cursor = None
        if len(rows) > PAGE:
            last = rows[PAGE - 1]
            cursor = base64.urlsafe_b64encode(f"{last[11].isoformat()}|{last[0]}".encode())
        value = {"items": items, "next_cursor": cursor and cursor.decode()}
    store[f"{case}:{sorted(args.items(), key=str)}"] = json.dumps(value, default=_jsonable)
