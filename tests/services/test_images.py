"""Owner changes to one image: privacy (files move under fresh keys) and deletion.

SQLite and PostgreSQL, real local-sketch images in a LocalStorage; failures are staged with a
storage wrapper that raises on a chosen call, and a session whose commit fails.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

import pytest
from sqlalchemy import update
from sqlalchemy.engine import Engine
from sqlmodel import Session, col

from pixel_studio.cache import MemoryCache
from pixel_studio.models import Image
from pixel_studio.services import cached
from pixel_studio.services.errors import NotFound
from pixel_studio.services.studio import images as image_service
from pixel_studio.services.studio.images import delete_image, image_url, set_image_privacy
from pixel_studio.services.studio.jobs import run_job
from pixel_studio.settings import Settings
from pixel_studio.storage import StorageError, StoredObject
from pixel_studio.storage.local import LocalStorage
from tests.services.generation_helpers import Events, count, images_of, make_user, submit_job


class FailingStorage:
    """LocalStorage that raises StorageError on the n-th call of one method."""

    def __init__(self, inner: LocalStorage, method: str, nth: int = 1) -> None:
        self.inner, self.method, self.nth, self.calls = inner, method, nth, 0

    def _maybe_fail(self, method: str) -> None:
        if method == self.method:
            self.calls += 1
            if self.calls == self.nth:
                raise StorageError(f"{method} failed (staged)")

    def put(self, key: str, data: bytes, content_type: str) -> None:
        self._maybe_fail("put")
        self.inner.put(key, data, content_type)

    def get(self, key: str) -> bytes:
        self._maybe_fail("get")
        return self.inner.get(key)

    def delete(self, key: str) -> None:
        self._maybe_fail("delete")
        self.inner.delete(key)

    def delete_many(self, keys: Iterable[str]) -> None:
        self._maybe_fail("delete_many")
        self.inner.delete_many(keys)

    def exists(self, key: str) -> bool:
        return self.inner.exists(key)

    def list_objects(self, prefix: str = "") -> Iterator[StoredObject]:
        self._maybe_fail("list_objects")
        return self.inner.list_objects(prefix)

    def public_url(self, key: str) -> str:
        return self.inner.public_url(key)

    def private_url(self, key: str, viewer_id: int | None, expires_in: int = 300) -> str:
        return self.inner.private_url(key, viewer_id, expires_in)


def _image(
    db: Engine, session: Session, settings: Settings, storage: LocalStorage, uid: int, **kw: Any
) -> Image:
    job = submit_job(session, uid, settings, **kw)
    run_job(job.id, engine=db, settings=settings, storage=storage, publish=Events())
    return images_of(session, job.id)[0]


def _files(settings: Settings) -> set[str]:
    root = settings.media_dir
    return {str(p.relative_to(root)) for p in root.rglob("*") if p.is_file()}


def _row(session: Session, image_id: int) -> Image:
    row = session.get(Image, image_id, populate_existing=True)
    assert row is not None
    return row


def test_new_private_images_are_stored_under_the_private_prefix(
    db: Engine, session: Session, settings: Settings, storage: LocalStorage
) -> None:
    uid = make_user(session, "pria", 5)
    private = _image(db, session, settings, storage, uid, private=True)
    public = _image(db, session, settings, storage, uid)
    assert private.original_key.startswith("private/images/")
    assert private.thumbnail_key.startswith("private/images/")
    assert public.original_key.startswith("images/") and public.thumbnail_key.startswith("images/")


def test_privacy_round_trip_moves_files_under_fresh_keys(
    db: Engine, session: Session, settings: Settings, storage: LocalStorage
) -> None:
    uid = make_user(session, "olga", 5)
    image = _image(db, session, settings, storage, uid)
    image_id = image.id or 0
    public_keys = (image.original_key, image.thumbnail_key)
    original_bytes = storage.get(image.original_key)
    public_url = image_url(storage, image, None)

    made_private = set_image_privacy(session, storage, uid, image_id, True)
    assert made_private.private
    private_keys = (made_private.original_key, made_private.thumbnail_key)
    assert all(k.startswith("private/images/") for k in private_keys)
    assert storage.get(private_keys[0]) == original_bytes
    # The public files are gone: the URL handed out while public no longer resolves.
    assert not any(storage.exists(k) for k in public_keys)
    assert public_url == f"/media/{public_keys[0]}"
    assert _files(settings) == set(private_keys)
    assert _row(session, image_id).original_key == private_keys[0]

    # Idempotent: asking again changes nothing.
    again = set_image_privacy(session, storage, uid, image_id, True)
    assert (again.original_key, again.thumbnail_key) == private_keys

    made_public = set_image_privacy(session, storage, uid, image_id, False)
    new_public = (made_public.original_key, made_public.thumbnail_key)
    assert not made_public.private and all(k.startswith("images/") for k in new_public)
    assert not set(new_public) & set(public_keys), "a fresh name, never the old public one"
    assert _files(settings) == set(new_public)
    assert storage.get(new_public[0]) == original_bytes


def test_only_the_owner_may_change_privacy_or_delete(
    db: Engine, session: Session, settings: Settings, storage: LocalStorage
) -> None:
    owner = make_user(session, "owen", 5)
    other = make_user(session, "otto", 5)
    image = _image(db, session, settings, storage, owner)
    before = _files(settings)
    for call in (
        lambda: set_image_privacy(session, storage, other, image.id or 0, True),
        lambda: delete_image(session, storage, other, image.id or 0),
        lambda: set_image_privacy(session, storage, owner, 987654, True),
        lambda: delete_image(session, storage, owner, 987654),
    ):
        with pytest.raises(NotFound):
            call()
    assert _files(settings) == before
    assert not _row(session, image.id or 0).private


@pytest.mark.parametrize(("method", "nth"), [("put", 2), ("get", 2)])
def test_failed_copy_changes_nothing(
    db: Engine,
    session: Session,
    settings: Settings,
    storage: LocalStorage,
    method: str,
    nth: int,
) -> None:
    uid = make_user(session, "fern", 5)
    image = _image(db, session, settings, storage, uid)
    before = _files(settings)
    with pytest.raises(StorageError):
        set_image_privacy(session, FailingStorage(storage, method, nth), uid, image.id or 0, True)
    row = _row(session, image.id or 0)
    assert not row.private and row.original_key == image.original_key
    assert _files(settings) == before, "the copies made before the failure are removed"


def test_failed_commit_keeps_the_old_row_and_files(
    db: Engine,
    session: Session,
    settings: Settings,
    storage: LocalStorage,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    uid = make_user(session, "gail", 5)
    image = _image(db, session, settings, storage, uid)
    before = _files(settings)

    def broken_commit() -> None:
        raise RuntimeError("database went away (staged)")

    monkeypatch.setattr(session, "commit", broken_commit)
    with pytest.raises(RuntimeError):
        set_image_privacy(session, storage, uid, image.id or 0, True)
    monkeypatch.undo()
    row = _row(session, image.id or 0)
    assert not row.private and row.original_key == image.original_key
    assert _files(settings) == before


def test_failed_delete_of_old_files_keeps_the_row_consistent(
    db: Engine, session: Session, settings: Settings, storage: LocalStorage
) -> None:
    uid = make_user(session, "hugo", 5)
    image = _image(db, session, settings, storage, uid)
    old = {image.original_key, image.thumbnail_key}
    flaky = FailingStorage(storage, "delete_many")
    moved = set_image_privacy(session, flaky, uid, image.id or 0, True)
    row = _row(session, image.id or 0)
    assert row.private and storage.exists(row.original_key) and storage.exists(row.thumbnail_key)
    # The old files are left unreferenced (the storage sweep's job), never the new ones.
    assert _files(settings) == old | {moved.original_key, moved.thumbnail_key}


def test_delete_image_removes_row_then_files(
    db: Engine, session: Session, settings: Settings, storage: LocalStorage
) -> None:
    uid = make_user(session, "ivy", 5)
    job = submit_job(session, uid, settings, count=2)
    run_job(job.id, engine=db, settings=settings, storage=storage, publish=Events())
    first, second = images_of(session, job.id)
    delete_image(session, storage, uid, first.id or 0)
    assert count(session, Image) == 1
    assert _files(settings) == {second.original_key, second.thumbnail_key}

    # A file delete that fails still deletes the row: the files are only orphans.
    delete_image(session, FailingStorage(storage, "delete_many"), uid, second.id or 0)
    assert count(session, Image) == 0
    assert _files(settings) == {second.original_key, second.thumbnail_key}


def test_concurrent_change_is_a_conflict_and_cleans_up(
    db: Engine,
    session: Session,
    settings: Settings,
    storage: LocalStorage,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    uid = make_user(session, "jude", 5)
    image = _image(db, session, settings, storage, uid)
    real_copy = image_service._copy
    raced: list[bool] = []

    def copy_then_race(store: Any, pairs: list[tuple[str, str]]) -> None:
        real_copy(store, pairs)
        if raced:
            return
        raced.append(True)
        # Another tab changes the image between our copy and our UPDATE.
        with Session(db) as other:
            set_image_privacy(other, storage, uid, image.id or 0, True)

    monkeypatch.setattr(image_service, "_copy", copy_then_race)
    with pytest.raises(image_service.Conflict):
        set_image_privacy(session, storage, uid, image.id or 0, True)
    monkeypatch.undo()
    row = _row(session, image.id or 0)
    assert row.private
    assert _files(settings) == {row.original_key, row.thumbnail_key}


def test_changes_invalidate_cached_pages_and_listings(
    db: Engine, session: Session, settings: Settings, storage: LocalStorage
) -> None:
    cache = MemoryCache()
    uid = make_user(session, "kim", 5)
    image = _image(db, session, settings, storage, uid)
    scopes = [cached.image_scope(image.id or 0), cached.PUBLIC_IMAGES, cached.user_scope(uid)]
    before = [cached.key_for(cache, "x", [scope]) for scope in scopes]
    set_image_privacy(session, storage, uid, image.id or 0, True, cache=cache)
    after_privacy = [cached.key_for(cache, "x", [scope]) for scope in scopes]
    assert all(b != a for b, a in zip(before, after_privacy, strict=True))
    delete_image(session, storage, uid, image.id or 0, cache=cache)
    after_delete = [cached.key_for(cache, "x", [scope]) for scope in scopes]
    assert all(b != a for b, a in zip(after_privacy, after_delete, strict=True))


def test_misplaced_files_of_older_private_images_are_moved(
    db: Engine, session: Session, settings: Settings, storage: LocalStorage
) -> None:
    uid = make_user(session, "lena", 5)
    legacy = _image(db, session, settings, storage, uid)
    public = _image(db, session, settings, storage, uid)
    old_key, public_key = legacy.original_key, public.original_key
    # A private image stored before the private/ prefix existed: files under images/.
    session.execute(update(Image).where(col(Image.id) == legacy.id).values(private=True))
    session.commit()
    assert image_service.misplaced_image_ids(session) == [legacy.id]

    assert image_service.move_misplaced_files(session, storage) == 1
    row = _row(session, legacy.id or 0)
    assert row.private and row.original_key.startswith("private/images/")
    assert not storage.exists(old_key) and storage.exists(row.original_key)
    assert _row(session, public.id or 0).original_key == public_key
    assert image_service.move_misplaced_files(session, storage) == 0


@pytest.mark.parametrize("image_id", [0, -1, 2**31, 10**20])
def test_an_id_no_row_can_have_is_not_found(session: Session, image_id: int) -> None:
    # PostgreSQL refused 2**31 for an INTEGER column: a fuzzed remix id was a 500 once.
    with pytest.raises(NotFound):
        image_service.get_visible_image(session, None, image_id)
