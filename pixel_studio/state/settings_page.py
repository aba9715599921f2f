"""The settings page: username, avatar, default privacy.

Every change re-resolves the session cookie instead of trusting the id loaded with the page,
so a session revoked elsewhere stops working at once. The avatar arrives as a streamed upload
to a background event: decoding and re-encoding it with Pillow must not hold the state lock.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from typing import Any

import reflex as rx

from pixel_studio.db import session_scope
from pixel_studio.services import auth, users
from pixel_studio.services.errors import AuthFailed, ServiceError
from pixel_studio.state.auth import AuthState, Profile, avatar_url, profile_of, session_token
from pixel_studio.storage import StorageError, get_storage
from pixel_studio.storage.images import InvalidImage, sniff_image

log = logging.getLogger(__name__)

AVATAR_MAX_BYTES = 2 * 1024 * 1024
AVATAR_TYPES = {"image/png": [".png"], "image/jpeg": [".jpg", ".jpeg"], "image/webp": [".webp"]}
AVATAR_REFUSED = "Choose a PNG, JPEG or WebP image of at most 2 MB."
SIGNED_OUT = "Your session has ended. Log in again."


def _user_id(session: Any, token: str | None) -> int:
    user = auth.user_for_token(session, token)
    if user is None or user.id is None:
        raise AuthFailed(SIGNED_OUT)
    return user.id


def load_settings(token: str | None) -> Profile | None:
    with session_scope() as session:
        user = auth.user_for_token(session, token)
        return profile_of(user) if user is not None else None


def rename(token: str | None, new_username: str) -> str:
    with session_scope() as session:
        return users.change_username(session, _user_id(session, token), new_username).username


def set_privacy(token: str | None, private: bool) -> bool:
    with session_scope() as session:
        return users.set_default_privacy(session, _user_id(session, token), private).default_private


def save_avatar(token: str | None, data: bytes) -> str:
    """Validate and re-encode the upload, store it, point the user at it; return its URL."""
    with session_scope() as session:
        user_id = _user_id(session, token)
    image = sniff_image(data, max_bytes=AVATAR_MAX_BYTES, output_format="webp")
    storage = get_storage()
    # A fresh name per upload: caches never serve the previous picture under the same URL.
    key = f"avatars/u{user_id}/{uuid.uuid4().hex}.webp"
    storage.put(key, image.data, image.content_type)
    try:
        with session_scope() as session:
            _user, old_key = users.set_avatar_key(session, user_id, key)
    except BaseException:
        storage.delete(key)
        raise
    if old_key and old_key != key:
        try:
            storage.delete(old_key)
        except StorageError:
            # The new avatar is in place; a leftover file is harmless, a failed save is not.
            log.warning("could not delete old avatar %s", old_key, exc_info=True)
    return avatar_url(key)


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
            self.saving_username = True
            self.username_error = ""
            token = self._token()
        try:
            username = await asyncio.to_thread(
                rename, token, value if isinstance(value, str) else ""
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
    def toggle_privacy(self, private: bool) -> Any:
        # One small UPDATE: fine in a normal handler.
        try:
            self.default_private = set_privacy(self._token(), bool(private))
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
            self.uploading = True
            self.avatar_error = ""
            token = self._token()
        data = bytearray()
        too_big = False
        # The whole stream must be consumed; past the cap the bytes are only counted.
        async for chunk in chunks:
            if too_big:
                continue
            data.extend(chunk.data)
            too_big = len(data) > AVATAR_MAX_BYTES
        try:
            if too_big:
                raise InvalidImage("The file is larger than 2 MB.")
            url = await asyncio.to_thread(save_avatar, token, bytes(data))
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
