"""Removing stored files that no row refers to.

Files are written before the row that names them is committed (services/studio/jobs._store_image,
services/studio/images.set_image_privacy), and deleted after the row is gone: the database never
names a missing file, but a process killed between the two steps (a worker at its hard time
limit, a crash, a failed delete) leaves a file no row names. This sweep removes those.

Only files older than `older_than` are judged: a younger one may belong to a row whose commit
is still on its way. Keys name their owner (`images/u<user>/s<set>/…`, `private/images/…`,
`avatars/u<user>/…`), so each batch of files is checked with indexed look-ups by set and user
id, never a scan of every row. Keys outside that layout are never touched.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from sqlmodel import Session, col, select

from pixel_studio.models import Image, ImageSet, User
from pixel_studio.storage import Storage, StoredObject

log = logging.getLogger(__name__)

DEFAULT_OLDER_THAN = timedelta(hours=24)
BATCH = 1000  # keys per look-up and per delete request
_IMAGE_KEY = re.compile(r"^(?:private/)?images/u\d+/s(?P<set_id>\d+)/[^/]+$")
_AVATAR_KEY = re.compile(r"^avatars/u(?P<user_id>\d+)/[^/]+$")


@dataclass
class SweepReport:
    scanned: int = 0  # files listed
    recent: int = 0  # too young to judge, kept
    unknown: int = 0  # outside the app's key layout, kept
    orphans: list[str] = field(default_factory=list)  # removed (or, in a dry run, to remove)
    orphan_bytes: int = 0
    dry_run: bool = False


def _batches(objects: Iterator[StoredObject], size: int) -> Iterator[list[StoredObject]]:
    batch: list[StoredObject] = []
    for obj in objects:
        batch.append(obj)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def _referenced(session: Session, keys: list[str]) -> set[str]:
    """The keys among `keys` that some row names."""
    set_ids: set[int] = set()
    user_ids: set[int] = set()
    for key in keys:
        if match := _IMAGE_KEY.match(key):
            set_ids.add(int(match["set_id"]))
        elif match := _AVATAR_KEY.match(key):
            user_ids.add(int(match["user_id"]))
    found: set[str] = set()
    if set_ids:
        rows = session.exec(
            select(Image.original_key, Image.thumbnail_key).where(col(Image.set_id).in_(set_ids))
        ).all()
        found.update(key for row in rows for key in row)
        # An edit job's uploaded start image and mask sit beside its set's images and are
        # named by the set's params (services/studio/editing.py) for as long as the set exists.
        sets = session.exec(select(ImageSet.params).where(col(ImageSet.id).in_(set_ids))).all()
        found.update(
            str(params[name])
            for params in sets
            for name in ("upload_key", "mask_key")
            if isinstance(params, dict) and params.get(name)
        )
    if user_ids:
        avatars = session.exec(select(User.avatar_key).where(col(User.id).in_(user_ids))).all()
        found.update(key for key in avatars if key)
    return found


def sweep_orphans(
    session: Session,
    storage: Storage,
    *,
    older_than: timedelta = DEFAULT_OLDER_THAN,
    dry_run: bool = False,
    now: datetime | None = None,
    batch_size: int = BATCH,
) -> SweepReport:
    """Delete (or with `dry_run` only list) files older than `older_than` that no image's
    original/thumbnail key and no user's avatar key names."""
    if older_than < timedelta(0):
        raise ValueError("older_than must not be negative")
    cutoff = (now or datetime.now(UTC)) - older_than
    report = SweepReport(dry_run=dry_run)
    for batch in _batches(storage.list_objects(), batch_size):
        report.scanned += len(batch)
        candidates: list[StoredObject] = []
        for obj in batch:
            if not (_IMAGE_KEY.match(obj.key) or _AVATAR_KEY.match(obj.key)):
                report.unknown += 1
            elif obj.modified >= cutoff:
                report.recent += 1
            else:
                candidates.append(obj)
        if not candidates:
            continue
        referenced = _referenced(session, [obj.key for obj in candidates])
        orphans = [obj for obj in candidates if obj.key not in referenced]
        if orphans and not dry_run:
            storage.delete_many([obj.key for obj in orphans])
        report.orphans.extend(obj.key for obj in orphans)
        report.orphan_bytes += sum(obj.size for obj in orphans)
    if report.orphans and not dry_run:
        log.info("storage sweep removed %d unreferenced file(s)", len(report.orphans))
    return report
