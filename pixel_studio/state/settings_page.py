"""The settings page: username, avatar, default privacy (sessions: state/sessions_list.py).

Every change starts with `checked_user_id` (state/auth.py) instead of trusting the id loaded
with the page, so a session revoked elsewhere stops working at once and signs the tab out.
The avatar arrives as a streamed upload to a background event: decoding and re-encoding it
with Pillow must not hold the state lock.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from typing import Any

import reflex as rx

from pixel_studio.db import session_scope
from pixel_studio.services import users
from pixel_studio.services.accounts import auth
from pixel_studio.services.errors import ServiceError
from pixel_studio.state.auth import (
    AuthState,
    Profile,
    avatar_url,
    checked_user_id,
    per_user,
    profile_of,
    session_ended,
    session_token,
)
from pixel_studio.storage import get_storage
from pixel_studio.storage.images import InvalidImage

log = logging.getLogger(__name__)

AVATAR_MAX_BYTES = users.AVATAR_MAX_BYTES
AVATAR_TYPES = {"image/png": [".png"], "image/jpeg": [".jpg", ".jpeg"], "image/webp": [".webp"]}
AVATAR_REFUSED = "Choose a PNG, JPEG or WebP image of at most 2 MB."
SETTINGS_PATH = "/settings"


def load_settings(token: str | None) -> Profile | None:
    with session_scope() as session:
        user = auth.user_for_token(session, token)
        return profile_of(user) if user is not None else None


def rename(user_id: int, new_username: str) -> str:
    with session_scope() as session:
        return users.change_username(session, user_id, new_username).username


def set_privacy(user_id: int, private: bool) -> bool:
    with session_scope() as session:
        return users.set_default_privacy(session, user_id, private).default_private


def save_avatar(user_id: int, data: bytes) -> str:
    """Validate, downscale and store the upload, point the user at it; return its URL."""
    with session_scope() as session:
        key = users.replace_avatar(session, get_storage(), user_id, data)
    return avatar_url(key)


async def read_capped(chunks: AsyncIterator[Any], limit: int) -> bytes:
    """The upload's bytes, refused as soon as they pass `limit`: the rest is never read
    (Reflex then ends the upload request and stops reading its body), so a huge upload
    costs neither memory nor the time to stream it all."""
    data = bytearray()
    async for chunk in chunks:
        data.extend(chunk.data)
        if len(data) > limit:
            raise InvalidImage(f"The file is larger than {limit // (1024 * 1024)} MB.")
    return bytes(data)


@per_user
class SettingsState(rx.State):
    username_error: str = ""
    saving_username: bool = False
    default_private: bool = False
    avatar_error: str = ""
    uploading: bool = False

    def _token(self) -> str | None:
        return session_token(self.router.headers.cookie)

    @rx.event
    def load(self) -> None:
        self.username_error = self.avatar_error = ""
        self.saving_username = self.uploading = False
        profile = load_settings(self._token())
        self.default_private = profile.default_private if profile else False

    @rx.event(background=True)
    async def save_username(self, form_data: dict[str, Any]) -> Any:
        value = form_data.get("username")
        async with self:
            if self.saving_username:
                return None
            user_id = await checked_user_id(self)
            if user_id is None:
                return session_ended(SETTINGS_PATH)
            self.saving_username = True
            self.username_error = ""
        try:
            username = await asyncio.to_thread(
                rename, user_id, value if isinstance(value, str) else ""
            )
        except ServiceError as exc:
            async with self:
                self.saving_username = False
                self.username_error = exc.message
            return rx.toast.error(exc.message)
        async with self:
            self.saving_username = False
            shell = await self.get_state(AuthState)
            shell.username = username
        return rx.toast.success(f"Your username is now {username}.")

    @rx.event
    async def toggle_privacy(self, private: bool) -> Any:
        user_id = await checked_user_id(self)
        if user_id is None:
            return session_ended(SETTINGS_PATH)
        try:
            # One small UPDATE, in a thread so the event loop keeps serving other tabs.
            self.default_private = await asyncio.to_thread(set_privacy, user_id, bool(private))
        except ServiceError as exc:
            return rx.toast.error(exc.message)
        if self.default_private:
            return rx.toast.success("New images will be private.")
        return rx.toast.success("New images will be public.")

    @rx.event
    def avatar_rejected(self, rejected: list[dict[str, Any]]) -> Any:
        """The browser refused the file (type or size) before sending it."""
        self.avatar_error = AVATAR_REFUSED
        return rx.toast.error(AVATAR_REFUSED)

    @rx.event(background=True)
    async def upload_avatar(self, chunks: rx.UploadChunkIterator) -> Any:
        async with self:
            user_id = await checked_user_id(self)
            self.uploading = user_id is not None
            self.avatar_error = ""
        if user_id is None:
            async for _chunk in chunks:  # the stream must be consumed all the same
                pass
            return session_ended(SETTINGS_PATH)
        try:
            data = await read_capped(chunks, AVATAR_MAX_BYTES)
            url = await asyncio.to_thread(save_avatar, user_id, data)
        except (InvalidImage, ServiceError) as exc:
            async with self:
                self.uploading = False
                self.avatar_error = exc.message
            return rx.toast.error(exc.message)
        except Exception:
            log.exception("avatar upload failed")
            message = "The avatar could not be saved. Please try again."
            async with self:
                self.uploading = False
                self.avatar_error = message
            return rx.toast.error(message)
        async with self:
            self.uploading = False
            shell = await self.get_state(AuthState)
            shell.avatar_url = url
        return rx.toast.success("Avatar updated.")
