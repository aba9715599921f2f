"""Avatars: capped while read, downscaled to 512 px, decompression bombs refused before any
decoding (services on SQLite and PostgreSQL, the upload reader, the image checks)."""

from __future__ import annotations

import asyncio
import io
import struct
import zlib
from collections.abc import AsyncIterator
from typing import Any

import pytest
from PIL import Image
from reflex_components_core.core._upload import UploadChunk
from sqlmodel import Session

from pixel_studio.models import User
from pixel_studio.services import users
from pixel_studio.state.settings_page import read_capped
from pixel_studio.storage.images import InvalidImage, make_thumbnail, sniff_image
from pixel_studio.storage.local import LocalStorage
from tests.services.generation_helpers import make_user


def _png(width: int, height: int, mode: str = "RGB") -> bytes:
    out = io.BytesIO()
    Image.new(mode, (width, height), "white" if mode != "1" else 1).save(out, "PNG")
    return out.getvalue()


def _claimed_png(width: int, height: int) -> bytes:
    """A PNG of a few bytes whose header claims `width`×`height` (a decompression bomb's
    header: the pixel data is never needed to refuse it)."""

    def chunk(ctype: bytes, payload: bytes) -> bytes:
        crc = zlib.crc32(ctype + payload) & 0xFFFFFFFF
        return struct.pack(">I", len(payload)) + ctype + payload + struct.pack(">I", crc)

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)  # 8-bit greyscale
    idat = zlib.compress(b"\x00" * (width + 1))  # one row; decoding would need them all
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


def _files(storage: LocalStorage) -> list[str]:
    return sorted(o.key for o in storage.list_objects())


def test_avatar_is_downscaled_to_512_and_replaces_the_old_one(
    session: Session, storage: LocalStorage
) -> None:
    uid = make_user(session, "avery", 0)
    first = users.replace_avatar(session, storage, uid, _png(2000, 1000))
    with Image.open(io.BytesIO(storage.get(first))) as stored:
        assert stored.format == "WEBP" and stored.size == (512, 256)
    small = users.replace_avatar(session, storage, uid, _png(100, 80))
    with Image.open(io.BytesIO(storage.get(small))) as stored:
        assert stored.size == (100, 80), "never enlarged"
    assert _files(storage) == [small], "the previous avatar's file is deleted"
    user = session.get(User, uid, populate_existing=True)
    assert user is not None and user.avatar_key == small


def test_avatar_bomb_is_refused_and_nothing_changes(
    session: Session, storage: LocalStorage
) -> None:
    uid = make_user(session, "bomb", 0)
    kept = users.replace_avatar(session, storage, uid, _png(64, 64))
    bomb = _claimed_png(4500, 4500)  # 20 MP claimed by a file of a few dozen bytes
    assert len(bomb) < 200
    with pytest.raises(InvalidImage) as refused:
        users.replace_avatar(session, storage, uid, bomb)
    assert "16 million pixels" in refused.value.message
    assert _files(storage) == [kept]
    user = session.get(User, uid, populate_existing=True)
    assert user is not None and user.avatar_key == kept


def test_past_pillows_bomb_limit_is_an_error_not_a_warning() -> None:
    # Between MAX_IMAGE_PIXELS and twice that Pillow only warns; nothing here decodes it.
    side = int((Image.MAX_IMAGE_PIXELS or 0) ** 0.5) + 10
    with pytest.raises(InvalidImage) as refused:
        make_thumbnail(_claimed_png(side, side))
    assert refused.value.message == "The image has far too many pixels."
    with pytest.raises(InvalidImage) as refused:
        sniff_image(_claimed_png(side, side), max_pixels=10**12)
    assert refused.value.message == "The image has far too many pixels."


def test_upload_reading_stops_at_the_limit() -> None:
    pulled = 0

    async def chunks(total: int, size: int = 64 * 1024) -> AsyncIterator[Any]:
        nonlocal pulled
        for offset in range(0, total, size):
            pulled += 1
            yield UploadChunk(
                filename="a.png", offset=offset, content_type="image/png", data=b"\0" * size
            )

    limit = 2 * 1024 * 1024
    with pytest.raises(InvalidImage) as refused:
        asyncio.run(read_capped(chunks(100 * limit), limit))
    assert refused.value.message == "The file is larger than 2 MB."
    assert pulled == limit // (64 * 1024) + 1, "not one chunk past the one that broke the cap"
    pulled = 0
    assert asyncio.run(read_capped(chunks(limit), limit)) == b"\0" * limit
