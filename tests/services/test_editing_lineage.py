"""Lineage under the one visibility rule: "Made from" and the strip of images made from an
image, keyset-paged; a private source shows to nobody but its owner; deleting a source keeps
what was made from it. SQLite and PostgreSQL; derived images come from real edit jobs.
"""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import update
from sqlalchemy.engine import Engine
from sqlmodel import Session

from pixel_studio.db import utcnow
from pixel_studio.models import Image, User
from pixel_studio.services.errors import InvalidInput, NotFound
from pixel_studio.services.studio import editing, images
from pixel_studio.services.studio.jobs import run_job
from pixel_studio.settings import Settings
from pixel_studio.storage.local import LocalStorage
from tests.services.editing_helpers import (
    FakeEditor,
    Recorder,
    make_source,
)
from tests.services.generation_helpers import Events, images_of, make_user


def _vary(
    db: Engine,
    session: Session,
    settings: Settings,
    storage: LocalStorage,
    uid: int,
    source_id: int,
    **extra: Any,
) -> list[Image]:
    data = {"operation": "variation", "model": "local-sketch", "source_image_id": source_id}
    job = editing.create_edit_job(session, uid, {**data, **extra}, settings, storage=storage,
                                  enqueue=Recorder(), publish=Events())  # fmt: skip
    run_job(job.id, engine=db, settings=settings, storage=storage, publish=Events(),
            provider_for=lambda _m: FakeEditor())  # fmt: skip
    return images_of(session, job.id)


def test_made_from_and_the_derived_strip_follow_visibility(
    db: Engine, session: Session, settings: Settings, storage: LocalStorage
) -> None:
    owner = make_user(session, "olive", 30)
    fan = make_user(session, "frank", 30)
    source = make_source(db, session, settings, storage, owner)
    assert source.id is not None
    public = _vary(db, session, settings, storage, owner, source.id, count=3)
    (hidden,) = _vary(db, session, settings, storage, owner, source.id, private=True)
    (fans,) = _vary(db, session, settings, storage, fan, source.id)

    # "Made from": the source card, for anyone who may see both
    made_from = editing.source_of(session, fan, fans.id or 0)
    assert made_from is not None and made_from.id == source.id
    assert editing.source_of(session, None, public[0].id or 0) is not None
    assert editing.source_of(session, owner, source.id) is None  # a text image has none

    # the strip: newest first, only what the viewer may see
    def strip(viewer: int | None) -> list[int]:
        return [c.id for c in editing.derived_from(session, viewer, source.id).items]

    everyone = [fans.id, *[i.id for i in reversed(public)]]
    assert strip(None) == everyone and strip(fan) == everyone
    assert strip(owner) == [fans.id, hidden.id, *[i.id for i in reversed(public)]]

    # keyset pages: two, then the rest, never repeating
    first = editing.derived_from(session, fan, source.id, limit=2)
    assert first.next_cursor is not None
    rest = editing.derived_from(session, fan, source.id, cursor=first.next_cursor, limit=2)
    assert [c.id for c in first.items + rest.items] == everyone and rest.next_cursor is None
    with pytest.raises(InvalidInput, match="page link"):
        editing.derived_from(session, fan, source.id, cursor="not-a-cursor")

    # a private derived image is itself not found for others
    with pytest.raises(NotFound):
        editing.lineage(session, fan, hidden.id or 0)

    # once the source goes private, it shows to nobody but its owner
    images.set_image_privacy(session, storage, owner, source.id, True)
    assert editing.source_of(session, fan, fans.id or 0) is None
    assert editing.source_of(session, owner, fans.id or 0) is not None
    with pytest.raises(NotFound):
        editing.derived_from(session, fan, source.id)
    view = editing.lineage(session, fan, fans.id or 0)
    assert (view.operation, view.source, view.from_upload) == ("variation", None, False)
    assert (
        view.edit["vary"] == "subtle" and view.edit["strength"] == editing.VARY_STRENGTH["subtle"]
    )


def test_a_suspended_owners_derived_images_leave_the_strip(
    db: Engine, session: Session, settings: Settings, storage: LocalStorage
) -> None:
    owner = make_user(session, "sal", 30)
    fan = make_user(session, "tom", 30)
    source = make_source(db, session, settings, storage, owner)
    (fans,) = _vary(db, session, settings, storage, fan, source.id or 0)
    session.execute(update(User).where(User.id == fan).values(suspended_at=utcnow()))  # type: ignore[arg-type]
    session.commit()
    assert [c.id for c in editing.derived_from(session, owner, source.id or 0).items] == []
    assert [c.id for c in editing.derived_from(session, fan, source.id or 0).items] == [fans.id]


def test_deleting_a_source_keeps_what_was_made_from_it(
    db: Engine, session: Session, settings: Settings, storage: LocalStorage
) -> None:
    owner = make_user(session, "uma", 30)
    fan = make_user(session, "val", 30)
    source = make_source(db, session, settings, storage, owner)
    (derived,) = _vary(db, session, settings, storage, fan, source.id or 0)
    images.delete_image(session, storage, owner, source.id or 0)
    kept = session.get(Image, derived.id, populate_existing=True)
    assert kept is not None and kept.parent_id is None and kept.operation == "variation"
    assert storage.exists(kept.original_key)
    view = editing.lineage(session, None, derived.id or 0)
    assert view.source is None and not view.from_upload and view.operation == "variation"
