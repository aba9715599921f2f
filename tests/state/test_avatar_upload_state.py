"""The avatar upload handler stops reading an oversized upload at the limit."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from reflex_components_core.core._upload import UploadChunk

from pixel_studio.state.settings_page import AVATAR_MAX_BYTES, SettingsState
from tests.state.test_account_state import (  # noqa: F401  (fixture)
    app_db,
    new_user,
    run,
    signed_in_cookie,
    signed_in_state,
)

CHUNK = 64 * 1024


def test_oversized_upload_is_not_read_to_the_end(app_db: Path) -> None:  # noqa: F811
    settings = signed_in_state(SettingsState, signed_in_cookie(new_user("huge")), "/settings")
    pulled = 0

    async def chunks() -> AsyncIterator[Any]:
        nonlocal pulled
        for offset in range(0, 64 * AVATAR_MAX_BYTES, CHUNK):  # 128 MB offered
            pulled += 1
            yield UploadChunk(
                filename="a.png", offset=offset, content_type="image/png", data=b"\0" * CHUNK
            )

    run(SettingsState.upload_avatar, settings, chunks())
    assert settings.avatar_error == "The file is larger than 2 MB."
    assert not settings.uploading
    assert pulled == AVATAR_MAX_BYTES // CHUNK + 1
