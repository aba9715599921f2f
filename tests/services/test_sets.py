"""Sets: history listing, visibility, deletion with files, remix prefill (SQLite and PostgreSQL)."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session

from pixel_studio.models import GenerationJob, Image, ImageSet
from pixel_studio.services.errors import NotAllowed, NotFound
from pixel_studio.services.studio import generation, sets
from pixel_studio.services.studio.images import can_view_image, image_url
from pixel_studio.services.studio.jobs import run_job
from pixel_studio.settings import Settings
from pixel_studio.storage.local import LocalStorage
from tests.services.generation_helpers import (
    Events,
    balance,
    count,
    images_of,
    ledger,
    make_user,
    submit_job,
)


def _made(
    db: Engine,
    session: Session,
    settings: Settings,
    storage: LocalStorage,
    user_id: int,
    **fields: object,
) -> GenerationJob:
    job = submit_job(session, user_id, settings, **fields)
    run_job(job.id, engine=db, settings=settings, storage=storage, publish=Events())
    return job


def _set_id(session: Session, job: GenerationJob) -> int:
    return images_of(session, job.id)[0].set_id


def test_private_set_is_hidden_from_others(
    db: Engine, session: Session, settings: Settings, storage: LocalStorage
) -> None:
    owner = make_user(session, "olive", 5)
    other = make_user(session, "peter", 5)
    job = _made(db, session, settings, storage, owner, count=2, private=True)
    set_id = _set_id(session, job)

    mine = sets.get_set(session, owner, set_id)
    assert mine.is_owner and len(mine.images) == 2
    assert mine.job is not None and mine.job.status == "succeeded"
    for viewer in (other, None):
        with pytest.raises(NotFound):
            sets.get_set(session, viewer, set_id)
    image = mine.images[0]
    assert can_view_image(owner, image) and not can_view_image(other, image)
    assert not can_view_image(None, image)
    with pytest.raises(NotFound):
        sets.remix_defaults(session, other, image.id or 0)
    with pytest.raises(NotFound):
        image_url(storage, image, other)
    assert "sig=" in image_url(storage, image, owner)  # private: a signed, expiring URL


def test_public_set_is_visible_without_its_job(
    db: Engine, session: Session, settings: Settings, storage: LocalStorage
) -> None:
    owner = make_user(session, "quinn", 5)
    other = make_user(session, "rosa", 5, private=True)
    job = _made(db, session, settings, storage, owner, count=2, seed=99)
    seen = sets.get_set(session, other, _set_id(session, job))
    assert not seen.is_owner and seen.job is None and len(seen.images) == 2
    image = seen.images[1]
    assert image_url(storage, image, None, thumbnail=True) == f"/media/{image.thumbnail_key}"

    form = sets.remix_defaults(session, other, image.id or 0)
    assert form["parent_image_id"] == image.id and form["seed"] == 100
    assert (form["prompt"], form["size"], form["model"]) == (
        "a red fox in a forest",
        "256x256",
        "local-sketch",
    )
    assert form["private"] is True  # the remixer's own default, not the original's
    # The prefill is a valid request as it stands; the new image records its parent.
    remix = submit_job(session, other, settings, **{k: v for k, v in form.items() if k != "size"})
    run_job(remix.id, engine=db, settings=settings, storage=storage, publish=Events())
    assert images_of(session, remix.id)[0].parent_id == image.id
    assert images_of(session, remix.id)[0].seed == 100  # same seed: the same picture again


def test_list_sets_filters_and_pages(
    db: Engine, session: Session, settings: Settings, storage: LocalStorage
) -> None:
    uid = make_user(session, "sam", 20)
    other = make_user(session, "tess", 5)
    _made(db, session, settings, storage, other)  # not in sam's history
    jobs = [
        _made(db, session, settings, storage, uid, prompt=f"Sunset over the {place}", count=2)
        for place in ("sea", "city", "hills")
    ]
    queued = submit_job(session, uid, settings, prompt="A quiet harbour")
    page = sets.list_sets(session, uid, limit=3)
    assert [item.set.job_id for item in page.items] == [queued.id, jobs[2].id, jobs[1].id]
    assert page.items[0].job.status == "queued" and page.items[0].image_count == 0
    assert page.items[1].job.status == "succeeded" and len(page.items[1].thumbnails) == 2
    assert page.next_before is not None
    rest = sets.list_sets(session, uid, before=page.next_before, limit=3)
    assert [item.set.job_id for item in rest.items] == [jobs[0].id] and rest.next_before is None

    found = sets.list_sets(session, uid, query="sunset OVER the c")
    assert [item.set.job_id for item in found.items] == [jobs[1].id]
    assert sets.list_sets(session, uid, query="100%").items == []  # LIKE wildcards escaped
    assert len(sets.list_sets(session, uid, model="local-sketch").items) == 4
    assert sets.list_sets(session, uid, model="dall-e-2").items == []


def test_delete_set_removes_rows_and_files(
    db: Engine, session: Session, settings: Settings, storage: LocalStorage
) -> None:
    uid = make_user(session, "uma", 5)
    other = make_user(session, "vic", 5)
    job = _made(db, session, settings, storage, uid, count=2)
    set_id = _set_id(session, job)
    keys = [k for i in images_of(session, job.id) for k in (i.original_key, i.thumbnail_key)]
    assert all(storage.exists(k) for k in keys)
    with pytest.raises(NotAllowed):
        sets.delete_set(session, other, set_id, storage)

    sets.delete_set(session, uid, set_id, storage)
    assert count(session, ImageSet) == 0 and count(session, Image) == 0
    assert not any(storage.exists(k) for k in keys)
    assert not any(p.is_file() for p in Path(settings.media_dir).rglob("*"))
    assert count(session, GenerationJob) == 1  # the job stays: the ledger refers to it
    assert ledger(session, uid) == [("bonus", 5), ("spend", -2)]
    with pytest.raises(NotFound):
        sets.get_set(session, uid, set_id)


def test_deleting_an_unfinished_set_cancels_and_refunds(
    db: Engine, session: Session, settings: Settings, storage: LocalStorage
) -> None:
    uid = make_user(session, "wes", 5)
    job = submit_job(session, uid, settings, count=3)
    events = Events()
    set_id = sets.list_sets(session, uid).items[0].set.id or 0
    sets.delete_set(session, uid, set_id, storage, publish=events)
    assert [(e.status, e.balance) for e in events] == [("cancelled", 5)]
    assert balance(session, uid) == 5 and generation.ledger_mismatches(session) == []
    run_job(job.id, engine=db, settings=settings, storage=storage, publish=events)
    assert len(events) == 1  # the cancelled job is never run
