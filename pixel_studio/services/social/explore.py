"""Explore: public images, searchable by prompt and title, filtered and sorted, keyset pages.

Only public images appear (the visibility rule as an anonymous viewer sees it), so one cached
page serves everyone; the owner sees their private images on their own profile.

Sorts, each paged on a stored key with a partial index over public images:
- recent: newest first (created_at, id);
- liked: most likes first (like_count, id);
- trending: images *created* in the window (24h / 7d / 30d) by their hot score (hot, id). The
  score only grows with likes and encodes recency (models.hot_score), so the walk down the hot
  index meets the window's images first and pages stay stable.

Search (`q`): PostgreSQL matches the generated tsvector with websearch_to_tsquery; SQLite the
FTS5 table image_fts, each user term quoted. Both stem with the English Porter stemmer, so
"foxes" finds "fox". Terms are ANDed; "-word" excludes a word. User input never raises.

Search at scale on PostgreSQL (SOCIAL_NOTES.md: neither plan wins for every term): first walk
the sort index over at most SEARCH_PROBE public rows and keep the matches - enough for a page
when the term is common; if that does not fill the page the term is rare (under
(limit+1)/SEARCH_PROBE of the rows), so the matches are few and are collected through the GIN
index (a MATERIALIZED CTE) and sorted. Both steps are bounded for every kind of term. A term
PostgreSQL's own statistics already show as rare goes straight to the second step
(term_stats.py).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta
from functools import lru_cache
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, field_validator
from sqlalchemy import (
    ColumnElement,
    Select,
    String,
    bindparam,
    false,
    func,
    literal_column,
    select,
    text,
    tuple_,
)
from sqlmodel import Session, col

from pixel_studio.cache import Cache
from pixel_studio.db import utcnow
from pixel_studio.direct_rows import select_rows
from pixel_studio.models import Image, User
from pixel_studio.services import cached
from pixel_studio.services.social import term_stats
from pixel_studio.services.social.cards import (
    CardPage,
    Sort,
    card_select,
    decode_cursor,
    limit_of,
    order_by,
    page_of,
    sort_column,
)
from pixel_studio.services.visibility import owner_active

Window = Literal["24h", "7d", "30d"]
WINDOWS: dict[str, timedelta] = {
    "24h": timedelta(hours=24),
    "7d": timedelta(days=7),
    "30d": timedelta(days=30),
}
EXPLORE_TTL = 60  # seconds; likes and new images also bump PUBLIC_IMAGES
SEARCH_PROBE = 2000  # rows of the sort index the common-term plan reads at most
MAX_TERMS = 12
# PostgreSQL's english configuration drops these; FTS5 would demand them. Dropping the most
# common ones on SQLite keeps "the fox" finding the same images on both.
_STOP_WORDS = frozenset(
    {"a", "an", "and", "are", "as", "at", "be", "by", "for", "from", "has", "he", "in", "is",
     "it", "its", "of", "on", "or", "that", "the", "to", "was", "were", "will", "with"}
)  # fmt: skip


class ExploreQuery(BaseModel):
    """The explore page's inputs, validated at the boundary (state or API)."""

    model_config = ConfigDict(frozen=True, str_strip_whitespace=True)

    q: str | None = Field(default=None, max_length=200)
    model: str | None = Field(default=None, max_length=100)
    style: str | None = Field(default=None, max_length=32)
    sort: Sort = "recent"
    window: Window = "7d"  # trending only
    cursor: str | None = Field(default=None, max_length=400)
    limit: int = Field(default=24, ge=1, le=60)

    @field_validator("q", "model", "style", "cursor")
    @classmethod
    def _blank_is_none(cls, value: str | None) -> str | None:
        return value or None


_PAGE = TypeAdapter(CardPage)


def explore(session: Session, cache: Cache, query: ExploreQuery) -> CardPage:
    """One explore page, through the cache (scope PUBLIC_IMAGES)."""
    return cached.get_or_load(
        cache,
        f"explore:{query.model_dump_json()}",
        [cached.PUBLIC_IMAGES],
        EXPLORE_TTL,
        lambda: load_explore(session, query),
        _PAGE,
    )


def load_explore(session: Session, query: ExploreQuery) -> CardPage:
    """One explore page from the database. InvalidInput for a cursor that is not ours.

    The statements are built once per shape (sort, which filters, cursor or not, page size;
    lru_cache) with the values as bound parameters, and run on the session's connection
    (straight through psycopg on PostgreSQL: direct_rows.py): building a SELECT with its
    joins and filters cost about as much Python time as PostgreSQL takes to run it
    (bench/discovery.py, cold)."""
    values: dict[str, Any] = {}
    if query.model:
        values["model"] = query.model
    if query.style:
        values["style"] = query.style
    if query.sort == "trending":
        values["since"] = utcnow() - WINDOWS[query.window]
    if query.cursor is not None:
        values["after_key"], values["after_id"] = decode_cursor(query.cursor, query.sort)
    shape = _Shape(
        query.sort, "model" in values, "style" in values, "since" in values, "after_id" in values
    )
    n = query.limit + 1
    connection = session.connection()
    if query.q is None:
        rows = select_rows(connection, _page_stmt(shape, n), values)
        return page_of(rows, query.limit, query.sort)
    terms = search_terms(query.q)
    if not any(not negated for negated, _ in terms):
        return CardPage(items=[], next_cursor=None)  # nothing searchable: no word at all
    if connection.dialect.name == "postgresql":
        values["terms"] = _websearch(terms)
        # A term on fewer than n / SEARCH_PROBE of the rows cannot fill a page from the walk.
        required = [word for negated, word in terms if not negated]
        rows = []
        if not term_stats.any_rare(connection, required, n / SEARCH_PROBE):
            # Common term: walk the sort's index over at most SEARCH_PROBE rows, match those.
            rows = select_rows(connection, _probe_stmt(shape, n), values)
        if len(rows) <= query.limit:
            # Rare term (or the last page): the matches are few; gather them through the GIN
            # index.
            rows = select_rows(connection, _found_stmt(shape, n), values)
        return page_of(rows, query.limit, query.sort)
    values["fts"] = fts5_query(terms)
    return page_of(select_rows(connection, _fts5_stmt(shape, n), values), query.limit, query.sort)


@dataclass(frozen=True)
class _Shape:
    """What decides an explore statement's SQL; the values themselves are bound."""

    sort: Sort
    model: bool
    style: bool
    since: bool
    after: bool


def _filters(shape: _Shape) -> list[ColumnElement[bool]]:
    """The page's own filters, beside the visibility rule each statement adds (`_PUBLIC`, and
    `owner_active` on the owner's row every statement joins)."""
    where: list[ColumnElement[bool]] = []
    if shape.model:
        where.append(col(Image.model) == bindparam("model"))
    if shape.style:
        where.append(col(Image.style) == bindparam("style"))
    if shape.since:
        where.append(col(Image.created_at) >= bindparam("since", type_=_CREATED_AT_TYPE))
    if shape.after:
        key = sort_column(shape.sort)
        after_key = bindparam("after_key", type_=key.property.columns[0].type)
        where.append(tuple_(key, col(Image.id)) < tuple_(after_key, bindparam("after_id")))
    return where


_IMAGE_TABLE = Image.__table__  # type: ignore[attr-defined]
_CREATED_AT_TYPE = _IMAGE_TABLE.c.created_at.type
_PUBLIC = col(Image.private) == false()
# visibility.visible_to(None, Image), for statements that join the owner (card_select): the
# owner's row is filtered where PostgreSQL fetched it, with no NOT IN subplan of suspended users.
_PUBLIC_JOINED = (_PUBLIC, owner_active())


@lru_cache(maxsize=256)
def _page_stmt(shape: _Shape, n: int) -> Select[Any]:
    key = order_by(shape.sort)
    where = (*_PUBLIC_JOINED, *_filters(shape))
    return card_select().where(*where).order_by(*key).limit(limit_of(n))


def _tsquery() -> ColumnElement[Any]:
    return func.websearch_to_tsquery(text("'english'"), bindparam("terms", type_=String))


@lru_cache(maxsize=256)
def _probe_stmt(shape: _Shape, n: int) -> Select[Any]:
    # The walk reads the card's image columns down the sort's index, at most SEARCH_PROBE
    # rows; the match is applied outside it (so PostgreSQL cannot turn the query into a GIN
    # scan of every match: 70 ms for a common word), in the walk's order, so the outer LIMIT
    # stops the walk as soon as it has a page of matches (no sort, no second visit by id).
    image_cols = [c for c in card_select().selected_columns if c.table is _IMAGE_TABLE]
    walk = (
        select(*image_cols, literal_column("image.search").label("search"))
        .where(_PUBLIC, *_filters(shape))  # the owner is checked outside, on the joined row
        .order_by(*order_by(shape.sort))
        .limit(limit_of(SEARCH_PROBE))
        .subquery("walk")
    )
    w = walk.c
    key = w[sort_column(shape.sort).key]
    return (
        select(  # card_select()'s columns, in its order
            w.id,
            w.thumbnail_key,
            w.original_key,
            w.width,
            w.height,
            w.prompt,
            w.title,
            w.model,
            w.style,
            w.like_count,
            w.comment_count,
            w.created_at,
            w.user_id,
            col(User.username),
            col(User.avatar_key),
            w.private,
            w.hot,
        )  # fmt: skip
        .join(User, col(User.id) == w.user_id)
        .where(owner_active(), w.search.op("@@")(_tsquery()))
        .order_by(key.desc(), w.id.desc())
        .limit(limit_of(n))
    )


@lru_cache(maxsize=256)
def _found_stmt(shape: _Shape, n: int) -> Select[Any]:
    matches = literal_column("image.search").op("@@")(_tsquery())
    found = (
        select(col(Image.id))
        .where(_PUBLIC, *_filters(shape), matches)  # the owner: on the joined row below
        .cte("found")
        .prefix_with("MATERIALIZED")
    )
    return (
        card_select()
        .where(col(Image.id).in_(select(found.c.id)), owner_active())
        .order_by(*order_by(shape.sort))
        .limit(limit_of(n))
    )


@lru_cache(maxsize=256)
def _fts5_stmt(shape: _Shape, n: int) -> Select[Any]:
    match = col(Image.id).in_(
        select(literal_column("rowid"))
        .select_from(text("image_fts"))
        .where(text("image_fts MATCH :fts"))
    )
    return (
        card_select()
        .where(*_PUBLIC_JOINED, *_filters(shape), match)
        .order_by(*order_by(shape.sort))
        .limit(limit_of(n))
    )


def search_terms(q: str) -> list[tuple[bool, str]]:
    """(negated, word) for each term that holds a letter or digit, stop words left out."""
    terms: list[tuple[bool, str]] = []
    for raw in q.split()[:MAX_TERMS]:
        negated = raw.startswith("-") and len(raw) > 1
        word = raw.lstrip("-").replace('"', "")
        if re.search(r"\w", word) and word.lower() not in _STOP_WORDS:
            terms.append((negated, word))
    return terms


def fts5_query(terms: list[tuple[bool, str]]) -> str:
    """An FTS5 MATCH expression in which every user term is a quoted string (never raises)."""
    positive = " AND ".join(f'"{w}"' for negated, w in terms if not negated)
    negative = "".join(f' NOT "{w}"' for negated, w in terms if negated)
    return positive + negative


def _websearch(terms: list[tuple[bool, str]]) -> str:
    return " ".join(("-" if negated else "") + word for negated, word in terms)
