"""Export my data (SQLite and PostgreSQL): the zip's JSON matches the database, another
user's private data never appears, the signed link expires, old zips are removed."""

from __future__ import annotations

import io
import json
import zipfile
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from pixel_studio.cache import MemoryCache
from pixel_studio.events import AccountJobEvent
from pixel_studio.models import AccountJob, CreditTransaction, Image, JobStatus
from pixel_studio.services.accounts import export
from pixel_studio.services.errors import Conflict, NotFound
from pixel_studio.services.social import collections, comments, follows, likes
from pixel_studio.services.studio.images import set_image_privacy
from pixel_studio.services.studio.jobs import run_job
from pixel_studio.settings import Settings
from pixel_studio.storage.local import LocalStorage
from tests.services.generation_helpers import Events, images_of, make_user, submit_job

SECRET_PROMPT = "zqxotherprivate lighthouse"


class Recorder(list[AccountJobEvent]):
    def __call__(self, event: AccountJobEvent) -> None:
        self.append(event)


def _quiet(_event: object) -> None:
    """Notification events go nowhere in these tests."""


def _world(session: Session, db: Engine, settings: Settings, storage: LocalStorage) -> dict:
    cache = MemoryCache()
    ann = make_user(session, "ann", 20)
    ben = make_user(session, "ben", 20)
    mine = submit_job(session, ann, settings, count=2, prompt="ann's own fox")
    run_job(mine.id, engine=db, settings=settings, storage=storage, publish=Events())
    theirs = submit_job(session, ben, settings, count=1, prompt=SECRET_PROMPT)
    run_job(theirs.id, engine=db, settings=settings, storage=storage, publish=Events())
    own = images_of(session, mine.id)
    other = images_of(session, theirs.id)[0]
    set_image_privacy(session, storage, ann, own[1].id or 0, True)  # her own private image
    # Ann likes, comments on and collects Ben's image while public; then Ben hides it.
    likes.like_image(session, cache, ann, other.id or 0, publish=_quiet)
    likes.like_image(session, cache, ann, own[0].id or 0, publish=_quiet)
    note = comments.add_comment(session, cache, ann, other.id or 0, "zqxannwords", publish=_quiet)
    comments.add_comment(session, cache, ben, own[0].id or 0, "zqxbenwords", publish=_quiet)
    coll = collections.create_collection(session, cache, ann, "ann picks", private=True)
    for image in (own[0], other):
        collections.add_image(session, cache, ann, coll.id or 0, image.id or 0)
    follows.follow(session, cache, ann, ben, publish=_quiet)
    follows.follow(session, cache, ben, ann, publish=_quiet)
    set_image_privacy(session, storage, ben, other.id or 0, True)
    return {"ann": ann, "ben": ben, "own": own, "other": other, "note": note.id}


def _unzip(storage: LocalStorage, key: str) -> zipfile.ZipFile:
    return zipfile.ZipFile(io.BytesIO(storage.get(key)))


def test_export_matches_the_database_and_leaks_nothing(
    db: Engine, session: Session, settings: Settings
) -> None:
    storage = LocalStorage(settings)
    w = _world(session, db, settings, storage)
    ann = w["ann"]
    job = export.start_export(session, ann)
    with pytest.raises(Conflict):
        export.start_export(session, ann)  # one at a time
    events = Recorder()
    export.run_export(job.id, engine=db, settings=settings, storage=storage, publish=events)

    row = session.get(AccountJob, job.id, populate_existing=True)
    assert row is not None and row.status == JobStatus.succeeded
    assert row.result_key and row.result_key.startswith(f"private/exports/u{ann}/")
    assert events[-1].status == JobStatus.succeeded and events[-1].done == events[-1].total == 3
    assert all(e.user_id == ann and e.kind == "export" for e in events)

    zf = _unzip(storage, row.result_key)
    data = {n: json.loads(zf.read(n)) for n in zf.namelist() if n.endswith(".json")}
    # Every file, and the whole archive, is free of Ben's private prompt.
    everything = b"".join(zf.read(n) for n in zf.namelist()).decode("latin-1")
    assert SECRET_PROMPT not in everything and "zqxbenwords" not in everything

    images = session.exec(select(Image).where(Image.user_id == ann).order_by(col(Image.id))).all()
    assert [(i["id"], i["prompt"], i["private"], i["seed"]) for i in data["images.json"]] == [
        (i.id, i.prompt, i.private, i.seed) for i in images
    ]
    for image in images:  # originals, byte for byte
        assert zf.read(f"originals/{image.id}.png") == storage.get(image.original_key)
    assert data["account.json"]["username"] == "ann"
    assert data["account.json"]["email"] == "ann@example.com"
    assert [c["body"] for c in data["comments.json"]] == ["zqxannwords"]
    assert data["comments.json"][0]["image_id"] == w["other"].id
    # Ben's image is private now: not in her likes or collection any more.
    assert [lk["image_id"] for lk in data["likes.json"]] == [w["own"][0].id]
    assert [c["image_ids"] for c in data["collections.json"]] == [[w["own"][0].id]]
    assert data["collections.json"][0]["private"] is True
    assert [f["username"] for f in data["follows.json"]["following"]] == ["ben"]
    assert [f["username"] for f in data["follows.json"]["followers"]] == ["ben"]
    ledger = session.exec(
        select(CreditTransaction.amount, CreditTransaction.kind)
        .where(CreditTransaction.user_id == ann)
        .order_by(col(CreditTransaction.id))
    ).all()
    assert [(t["amount"], t["kind"]) for t in data["credits.json"]] == [tuple(r) for r in ledger]
    assert sum(t["amount"] for t in data["credits.json"]) == data["account.json"]["credits"]
    assert len(data["sets.json"]) == 1 and data["sets.json"][0]["prompt"] == "ann's own fox"


def test_the_link_is_signed_for_the_user_and_expires(
    db: Engine, session: Session, settings: Settings
) -> None:
    clock = [1_000_000.0]
    storage = LocalStorage(settings, clock=lambda: clock[0])
    ann = make_user(session, "ann", 5)
    ben = make_user(session, "ben", 5)
    with pytest.raises(NotFound):
        export.export_link(session, storage, ann)  # nothing yet
    job = export.start_export(session, ann)
    export.run_export(job.id, engine=db, settings=settings, storage=storage, publish=Recorder())
    url = export.export_link(session, storage, ann)
    key = urlsplit(url).path.removeprefix("/media/")
    query = parse_qs(urlsplit(url).query)
    exp, sig = query["exp"][0], query["sig"][0]
    assert int(exp) == int(clock[0]) + export.LINK_SECONDS
    assert storage.verify_signed(key, exp, sig, ann)
    assert not storage.verify_signed(key, exp, sig, ben)  # another user's cookie
    assert not storage.verify_signed(key, exp, sig, None)  # a visitor
    clock[0] += export.LINK_SECONDS + 1
    assert not storage.verify_signed(key, exp, sig, ann)  # expired
    with pytest.raises(NotFound):  # Ben has no export, and never gets Ann's
        export.export_link(session, storage, ben)


def test_zips_older_than_a_day_are_removed(
    db: Engine, session: Session, settings: Settings, tmp_path: Path
) -> None:
    storage = LocalStorage(settings)
    ann = make_user(session, "ann", 5)
    job = export.start_export(session, ann)
    export.run_export(job.id, engine=db, settings=settings, storage=storage, publish=Recorder())
    key = session.get(AccountJob, job.id, populate_existing=True).result_key  # type: ignore[union-attr]
    assert key and storage.exists(key)
    # A zip a crashed run left, named by no row: found by listing the prefix.
    stray = f"{export.EXPORT_PREFIX}u{ann}/stray.zip"
    storage.put(stray, b"PK", "application/zip")
    now = datetime.now(UTC)
    assert export.expire_exports(session, storage, now=now + timedelta(hours=23)) == 0
    assert storage.exists(key) and storage.exists(stray)
    assert export.expire_exports(session, storage, now=now + timedelta(days=1, minutes=1)) == 2
    assert not storage.exists(key) and not storage.exists(stray)
    with pytest.raises(NotFound):
        export.export_link(session, storage, ann)
    row = session.get(AccountJob, job.id, populate_existing=True)
    assert row is not None and row.result_key is None


def test_a_new_export_replaces_the_old_zip(
    db: Engine, session: Session, settings: Settings
) -> None:
    storage = LocalStorage(settings)
    ann = make_user(session, "ann", 5)
    first = export.start_export(session, ann)
    export.run_export(first.id, engine=db, settings=settings, storage=storage, publish=Recorder())
    old_key = session.get(AccountJob, first.id, populate_existing=True).result_key  # type: ignore[union-attr]
    second = export.start_export(session, ann)
    export.run_export(second.id, engine=db, settings=settings, storage=storage, publish=Recorder())
    assert old_key and not storage.exists(old_key)
    # A second delivery of a finished job does nothing.
    export.run_export(second.id, engine=db, settings=settings, storage=storage, publish=Recorder())
    assert len(list(storage.list_objects(export.EXPORT_PREFIX))) == 1
