"""LocalStorage: files under a tmp media folder, and the app's own signed URLs."""

from __future__ import annotations

import os
import threading
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from pixel_studio.settings import Settings
from pixel_studio.storage import InvalidKey, Storage, StorageNotFound, get_storage
from pixel_studio.storage.base import content_type_for, validate_key
from pixel_studio.storage.local import LocalStorage, safe_path

NOW = 1_800_000_000.0


def make_settings(tmp_path: Path, secret: str = "test-secret") -> Settings:
    # Explicit values win over the environment and any .env file.
    return Settings(data_dir=tmp_path, secret_key=secret, s3_bucket="")


@pytest.fixture
def storage(tmp_path: Path) -> LocalStorage:
    return LocalStorage(make_settings(tmp_path), clock=lambda: NOW)


def signed_parts(url: str) -> tuple[str, str, str]:
    parts = urlsplit(url)
    query = parse_qs(parts.query)
    return parts.path.removeprefix("/media/"), query["exp"][0], query["sig"][0]


def test_is_a_storage(storage: LocalStorage) -> None:
    assert isinstance(storage, Storage)


def test_put_get_exists_delete(storage: LocalStorage, tmp_path: Path) -> None:
    key = "images/u1/s2/abc.png"
    assert not storage.exists(key)
    storage.put(key, b"png-bytes", "image/png")
    assert storage.exists(key)
    assert storage.get(key) == b"png-bytes"
    assert (tmp_path / "media" / key).read_bytes() == b"png-bytes"

    storage.put(key, b"replaced", "image/png")
    assert storage.get(key) == b"replaced"

    storage.delete(key)
    assert not storage.exists(key)
    storage.delete(key)  # idempotent
    with pytest.raises(StorageNotFound) as info:
        storage.get(key)
    assert info.value.key == key
    assert isinstance(info.value, KeyError)


def test_delete_many_ignores_missing(storage: LocalStorage) -> None:
    keys = [f"images/u1/s1/{i}.webp" for i in range(5)]
    for key in keys:
        storage.put(key, b"x", "image/webp")
    storage.delete_many([*keys, "images/u1/s1/missing.webp"])
    assert not any(storage.exists(key) for key in keys)


def test_get_of_a_folder_is_not_found(storage: LocalStorage) -> None:
    storage.put("images/u1/s1/a.png", b"x", "image/png")
    with pytest.raises(StorageNotFound):
        storage.get("images/u1/s1")
    assert not storage.exists("images/u1")


def test_write_is_atomic_and_leaves_no_temp_file(
    storage: LocalStorage, monkeypatch: pytest.MonkeyPatch
) -> None:
    key = "images/u1/s1/atomic.png"
    storage.put(key, b"old", "image/png")
    folder = storage.path_for(key).parent

    # A failure between writing and renaming must leave the old file whole, and no debris.
    def failing_replace(src: str, dst: str) -> None:
        assert Path(src).read_bytes() == b"new" and Path(src).name.startswith(".tmp-")
        assert Path(dst).read_bytes() == b"old"  # readers still see the old content
        raise OSError("disk vanished")

    monkeypatch.setattr(os, "replace", failing_replace)
    with pytest.raises(OSError, match="disk vanished"):
        storage.put(key, b"new", "image/png")
    monkeypatch.undo()
    assert storage.get(key) == b"old"
    assert sorted(p.name for p in folder.iterdir()) == ["atomic.png"]


def test_readers_never_see_a_partial_file(storage: LocalStorage) -> None:
    key = "images/u1/s1/race.png"
    big_a, big_b = b"a" * 2_000_000, b"b" * 2_000_000
    storage.put(key, big_a, "image/png")
    seen: set[bytes] = set()
    stop = threading.Event()

    def reader() -> None:
        while not stop.is_set():
            data = storage.get(key)
            seen.add(data[:1] + data[-1:] + str(len(data)).encode())

    thread = threading.Thread(target=reader)
    thread.start()
    for i in range(20):
        storage.put(key, big_b if i % 2 else big_a, "image/png")
    stop.set()
    thread.join()
    assert seen <= {b"aa2000000", b"bb2000000"}


@pytest.mark.parametrize(
    "key",
    [
        "../secret",
        "images/../../etc/passwd",
        "/etc/passwd",
        "images//a.png",
        "images/.tmp-x.part",
        ".secret_key",
        "images/a.png/",
        "images/a b.png",
        "images/a.png?x=1",
        "images\\a.png",
        "",
        "a" * 600,
    ],
)
def test_bad_keys_are_refused(storage: LocalStorage, key: str) -> None:
    with pytest.raises(InvalidKey):
        validate_key(key)
    with pytest.raises(InvalidKey):
        storage.put(key, b"x", "image/png")
    with pytest.raises(InvalidKey):
        storage.get(key)
    with pytest.raises(InvalidKey):
        storage.path_for(key)


def test_symlink_out_of_media_is_refused(storage: LocalStorage, tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.txt").write_text("secret")
    storage.root.mkdir(parents=True)
    (storage.root / "link").symlink_to(outside)
    with pytest.raises(InvalidKey):
        storage.get("link/secret.txt")
    with pytest.raises(InvalidKey):
        safe_path(storage.root, "link/secret.txt")


def test_path_for_is_absolute_inside_media(storage: LocalStorage, tmp_path: Path) -> None:
    path = storage.path_for("images/u1/s1/a.png")
    assert path.is_absolute()
    assert path == (tmp_path / "media" / "images/u1/s1/a.png").resolve()


def test_public_url(storage: LocalStorage) -> None:
    assert storage.public_url("images/u1/s1/a.png") == "/media/images/u1/s1/a.png"
    assert content_type_for("images/u1/s1/a.webp") == "image/webp"


def test_signed_url_verifies_for_its_viewer_only(storage: LocalStorage) -> None:
    url = storage.private_url("images/u1/s1/a.png", viewer_id=7, expires_in=300)
    key, exp, sig = signed_parts(url)
    assert key == "images/u1/s1/a.png"
    assert int(exp) == int(NOW) + 300
    assert storage.verify_signed(key, exp, sig, 7)
    assert not storage.verify_signed(key, exp, sig, 8)
    assert not storage.verify_signed(key, exp, sig, None)


def test_anonymous_signed_url(storage: LocalStorage) -> None:
    key, exp, sig = signed_parts(storage.private_url("images/u1/s1/a.png", None))
    assert storage.verify_signed(key, exp, sig, None)
    assert not storage.verify_signed(key, exp, sig, 1)


def test_tampered_signed_url_is_refused(storage: LocalStorage) -> None:
    key, exp, sig = signed_parts(storage.private_url("images/u1/s1/a.png", 7))
    flipped = ("A" if sig[0] != "A" else "B") + sig[1:]
    assert not storage.verify_signed(key, exp, flipped, 7)
    assert not storage.verify_signed(key, str(int(exp) + 3600), sig, 7)  # extended expiry
    assert not storage.verify_signed("images/u1/s1/b.png", exp, sig, 7)  # other file
    assert not storage.verify_signed(key, exp, "", 7)
    assert not storage.verify_signed(key, exp, "é" * 43, 7)
    assert not storage.verify_signed(key, "soon", sig, 7)
    assert not storage.verify_signed("../" + key, exp, sig, 7)


def test_expired_signed_url_is_refused(storage: LocalStorage) -> None:
    key, exp, sig = signed_parts(storage.private_url("images/u1/s1/a.png", 7, expires_in=60))
    assert storage.verify_signed(key, exp, sig, 7, now=NOW + 60)
    assert not storage.verify_signed(key, exp, sig, 7, now=NOW + 61)


def test_signature_depends_on_the_secret(tmp_path: Path) -> None:
    one = LocalStorage(make_settings(tmp_path, "secret-one"), clock=lambda: NOW)
    two = LocalStorage(make_settings(tmp_path, "secret-two"), clock=lambda: NOW)
    key, exp, sig = signed_parts(one.private_url("images/u1/s1/a.png", 7))
    assert one.verify_signed(key, exp, sig, 7)
    assert not two.verify_signed(key, exp, sig, 7)


def test_private_url_refuses_non_positive_lifetime(storage: LocalStorage) -> None:
    with pytest.raises(ValueError):
        storage.private_url("images/u1/s1/a.png", 7, expires_in=0)


def test_get_storage_picks_local_and_caches(tmp_path: Path) -> None:
    settings = make_settings(tmp_path)
    first = get_storage(settings)
    assert isinstance(first, LocalStorage)
    assert get_storage(make_settings(tmp_path)) is first
    assert get_storage(make_settings(tmp_path / "other")) is not first


def test_private_keys_have_no_public_url(storage: LocalStorage) -> None:
    with pytest.raises(InvalidKey):
        storage.public_url("private/images/u1/s1/a.png")
    assert "sig=" in storage.private_url("private/images/u1/s1/a.png", 7)


def test_list_objects_with_times(storage: LocalStorage, tmp_path: Path) -> None:
    storage.put("images/u1/s1/a.png", b"aa", "image/png")
    storage.put("private/images/u1/s1/b.png", b"b", "image/png")
    storage.put("avatars/u1/c.webp", b"c", "image/webp")
    old = storage.path_for("images/u1/s1/a.png")
    os.utime(old, (NOW - 3600, NOW - 3600))
    # A crashed write's temporary file and a symlink are not objects.
    (tmp_path / "media/images/u1/s1/.tmp-x.part").write_bytes(b"half")
    (tmp_path / "media/images/u1/s1/link.png").symlink_to(old)
    listed = {o.key: o for o in storage.list_objects()}
    assert set(listed) == {"images/u1/s1/a.png", "private/images/u1/s1/b.png", "avatars/u1/c.webp"}
    assert listed["images/u1/s1/a.png"].size == 2
    assert listed["images/u1/s1/a.png"].modified.timestamp() == NOW - 3600
    assert listed["avatars/u1/c.webp"].modified.tzinfo is not None
    assert [o.key for o in storage.list_objects("private/")] == ["private/images/u1/s1/b.png"]
    assert list(LocalStorage(make_settings(tmp_path / "empty")).list_objects()) == []
