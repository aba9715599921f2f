"""Sets: a user's generation history, one set's page, deleting a set, remix prefill.

Reads only show what the visibility rule (services/studio/images.can_view_image) allows.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import delete, func, tuple_
from sqlmodel import Session, col, select
from sqlmodel.sql.expression import Select

from pixel_studio import events
from pixel_studio.cache import get_cache
from pixel_studio.models import GenerationJob, Image, ImageSet, JobStatus, User
from pixel_studio.providers.base import MAX_SEED
from pixel_studio.services import cached
from pixel_studio.services.errors import InvalidInput, NotAllowed, NotFound
from pixel_studio.services.studio.images import can_view_image, get_visible_image
from pixel_studio.services.studio.job_state import ACTIVE, Publish, close_job
from pixel_studio.storage import Storage

log = logging.getLogger(__name__)

THUMBNAILS_PER_SET = 4
Cursor = tuple[datetime, int]  # (created_at, id) of the last set shown


@dataclass(frozen=True)
class SetSummary:
    """One row of the history page."""

    set: ImageSet
    job: GenerationJob
    thumbnails: list[Image]  # the first few images, in the order they were made
    image_count: int


@dataclass(frozen=True)
class SetPage:
    items: list[SetSummary]
    next_before: Cursor | None  # pass as `before` for the next page; None on the last page


@dataclass(frozen=True)
class SetDetail:
    set: ImageSet
    images: list[Image]  # only those the viewer may see
    is_owner: bool
    job: GenerationJob | None = None  # the owner's view only: status, error, refund
    params: dict[str, Any] = field(default_factory=dict)


def sets_statement(
    user_id: int,
    *,
    query: str | None = None,
    model: str | None = None,
    seed: int | None = None,
    created_from: date | None = None,
    created_to: date | None = None,
    before: Cursor | None = None,
    limit: int = 24,
) -> Select[ImageSet, GenerationJob]:
    """The statement of one history page (`list_sets`), one row more than `limit`; built
    apart so a test can ask each database for its plan."""
    stmt = (
        select(ImageSet, GenerationJob)
        .join(GenerationJob, col(GenerationJob.id) == col(ImageSet.job_id))
        .where(col(ImageSet.user_id) == user_id)
    )
    if query and query.strip():
        needle = query.strip().lower()
        stmt = stmt.where(func.lower(col(ImageSet.prompt)).contains(needle, autoescape=True))
    if model:
        stmt = stmt.where(col(ImageSet.model) == model)
    if seed is not None:
        stmt = stmt.where(
            select(Image.id)
            .where(col(Image.set_id) == col(ImageSet.id), col(Image.seed) == seed)
            .exists()
        )
    if created_from is not None:
        stmt = stmt.where(col(ImageSet.created_at) >= _day_start(created_from))
    if created_to is not None:
        stmt = stmt.where(col(ImageSet.created_at) < _day_start(created_to + timedelta(days=1)))
    if before is not None:
        stmt = stmt.where(tuple_(col(ImageSet.created_at), col(ImageSet.id)) < tuple_(*before))
    stmt = stmt.order_by(col(ImageSet.created_at).desc(), col(ImageSet.id).desc())
    # populate_existing: a long-lived session must see the workers' progress, not the job
    # objects it happened to load earlier.
    stmt = stmt.limit(limit + 1).execution_options(populate_existing=True)
    return stmt


def list_sets(
    session: Session,
    user_id: int,
    *,
    query: str | None = None,
    model: str | None = None,
    seed: int | None = None,
    created_from: date | None = None,
    created_to: date | None = None,
    before: Cursor | None = None,
    limit: int = 24,
) -> SetPage:
    """The user's own sets, newest first, with job status and first thumbnails.

    `query` matches the prompt (case-insensitive substring), `model` the exact model id,
    `seed` a set holding an image made with that seed (an indexed probe on image.set_id per
    set walked), `created_from`/`created_to` the UTC days the set was made in, both included
    (a range on the (user_id, created_at) index the page walks anyway).
    Keyset pagination on (created_at, id): stable while new sets arrive, and index-backed.
    """
    limit = max(1, min(limit, 100))
    stmt = sets_statement(
        user_id,
        query=query,
        model=model,
        seed=seed,
        created_from=created_from,
        created_to=created_to,
        before=before,
        limit=limit,
    )
    rows = list(session.exec(stmt).all())
    more = len(rows) > limit
    rows = rows[:limit]

    set_ids = [s.id for s, _ in rows]
    by_set: dict[int, list[Image]] = {}
    counts: dict[int, int] = {}
    if set_ids:
        # One query for the whole page: a set holds at most 10 images.
        images = session.exec(
            select(Image).where(col(Image.set_id).in_(set_ids)).order_by(col(Image.id))
        ).all()
        for image in images:
            counts[image.set_id] = counts.get(image.set_id, 0) + 1
            bucket = by_set.setdefault(image.set_id, [])
            if len(bucket) < THUMBNAILS_PER_SET:
                bucket.append(image)
    items = [
        SetSummary(
            set=s,
            job=job,
            thumbnails=by_set.get(s.id or 0, []),
            image_count=counts.get(s.id or 0, 0),
        )
        for s, job in rows
    ]
    last = rows[-1][0] if rows and more else None
    next_before = (last.created_at, last.id or 0) if last is not None else None
    return SetPage(items=items, next_before=next_before)


def _day_start(day: date) -> datetime:
    # Stored timestamps are aware UTC (db.utcnow): a day is a UTC day.
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


class SearchErrors(InvalidInput):
    """Every problem with a history search, by field ("seed", "from", "to")."""

    def __init__(self, errors: dict[str, str]) -> None:
        field, message = next(iter(errors.items()))
        super().__init__(message, field=field)
        self.errors = errors


@dataclass(frozen=True)
class SetSearch:
    """A history search after validation (`parse_search`)."""

    query: str = ""
    model: str = ""
    seed: int | None = None
    created_from: date | None = None
    created_to: date | None = None


def _parse_day(text: str) -> date | None:
    try:
        return date.fromisoformat(text) if len(text) == 10 else None
    except ValueError:
        return None


def parse_search(raw: Mapping[str, Any]) -> SetSearch:
    """The search as typed (or read from the URL): `q`, `model`, `seed`, `from`, `to`, all
    text. SearchErrors names each bad field; an empty value is no filter."""
    text = {k: str(raw.get(k) or "").strip() for k in ("q", "model", "seed", "from", "to")}
    errors: dict[str, str] = {}
    seed: int | None = None
    if text["seed"]:
        if re.fullmatch(r"[0-9]{1,10}", text["seed"]) and int(text["seed"]) <= MAX_SEED:
            seed = int(text["seed"])
        else:
            errors["seed"] = f"A seed is a whole number from 0 to {MAX_SEED:,}."
    days: dict[str, date | None] = {}
    for name in ("from", "to"):
        days[name] = _parse_day(text[name]) if text[name] else None
        if text[name] and days[name] is None:
            errors[name] = "Enter a date as YYYY-MM-DD."
    start, end = days["from"], days["to"]
    if start is not None and end is not None and start > end:
        errors["to"] = "The end date is before the start date."
    if errors:
        raise SearchErrors(errors)
    return SetSearch(text["q"][:200], text["model"][:100], seed, start, end)


def get_set(session: Session, viewer_id: int | None, set_id: int) -> SetDetail:
    """A set as this viewer may see it: the owner sees everything (and the job), anyone
    else only its public images. NotFound when nothing in it is visible to the viewer."""
    image_set = session.get(ImageSet, set_id)
    if image_set is None:
        raise NotFound("That set does not exist.")
    images = session.exec(
        select(Image).where(col(Image.set_id) == set_id).order_by(col(Image.id))
    ).all()
    is_owner = viewer_id is not None and viewer_id == image_set.user_id
    if is_owner:
        job = session.get(GenerationJob, image_set.job_id, populate_existing=True)
        return SetDetail(
            set=image_set, images=list(images), is_owner=True, job=job, params=image_set.params
        )
    visible = [image for image in images if can_view_image(viewer_id, image)]
    if not visible:
        raise NotFound("That set does not exist.")
    return SetDetail(set=image_set, images=visible, is_owner=False, params=image_set.params)


def delete_set(
    session: Session,
    user_id: int,
    set_id: int,
    storage: Storage,
    *,
    publish: Publish | None = None,
) -> None:
    """Delete the user's set, its images and their files. Commits.

    A job still queued or running is cancelled and refunded in the same transaction. Files go
    after the commit: a failed commit must not leave rows pointing at deleted files, while a
    failed file delete only leaves an orphan file (logged).
    """
    image_set = session.get(ImageSet, set_id)
    if image_set is None:
        raise NotFound("That set does not exist.")
    if image_set.user_id != user_id:
        raise NotAllowed("Only the owner can delete a set.")
    closed = None
    job_status = session.exec(
        select(GenerationJob.status).where(GenerationJob.id == image_set.job_id)
    ).one_or_none()
    if job_status in ACTIVE:
        # Locks the job row first (as a worker's progress write does) so the two never
        # deadlock, and any image a worker commits before this point is deleted below.
        closed = close_job(session, image_set.job_id, JobStatus.cancelled, user_id=user_id)
    rows = session.exec(
        select(Image.id, Image.private, Image.original_key, Image.thumbnail_key).where(
            Image.set_id == set_id
        )
    ).all()
    keys = [key for _id, _private, original, thumbnail in rows for key in (original, thumbnail)]
    session.execute(delete(Image).where(col(Image.set_id) == set_id))
    session.execute(delete(ImageSet).where(col(ImageSet.id) == set_id))
    session.commit()
    session.expunge(image_set)
    # Cached image pages, public listings and the owner's profile must not outlive the set.
    scopes = [cached.image_scope(image_id or 0) for image_id, _p, _o, _t in rows]
    if any(not private for _id, private, _o, _t in rows):
        scopes.append(cached.PUBLIC_IMAGES)
    cached.bump(get_cache(), *scopes, cached.user_scope(user_id))
    try:
        storage.delete_many(keys)
    except Exception:
        log.exception("set %s deleted but some of its files were not: %s", set_id, keys)
    if closed is not None:
        (events.publish if publish is None else publish)(closed)


def remix_defaults(session: Session, viewer_id: int, image_id: int) -> dict[str, Any]:
    """The create form, prefilled from an image the viewer may see, as its remix.

    The image's own seed is used, so submitting unchanged reproduces that very image; the
    privacy comes from the viewer's own default unless the viewer owns the image.
    """
    image = get_visible_image(session, viewer_id, image_id)
    params = dict(image.params)
    width = int(params.get("width") or image.width)
    height = int(params.get("height") or image.height)
    if image.user_id == viewer_id:
        private = image.private
    else:
        private = bool(
            session.exec(select(User.default_private).where(User.id == viewer_id)).one_or_none()
        )
    return {
        "model": image.model,
        "prompt": image.prompt,
        "negative_prompt": params.get("negative_prompt") or "",
        "style_preset": params.get("style_preset") or "none",
        "width": width,
        "height": height,
        "size": f"{width}x{height}",
        "count": int(params.get("count") or 1),
        "seed": image.seed,
        "guidance": params.get("guidance"),
        "steps": params.get("steps"),
        "quality": params.get("quality"),
        "style": params.get("style"),
        "private": private,
        "parent_image_id": image.id,
    }
