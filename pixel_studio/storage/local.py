"""Embedded storage: files under `settings.media_dir`, served by the backend's media route."""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import suppress
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlencode

from pixel_studio.settings import Settings

from .base import InvalidKey, StorageNotFound, StoredObject, public_url_for, validate_key

MEDIA_URL_PREFIX = "/media/"
# A separate key for URL signatures, derived from the app secret, so a signature made here can
# never be replayed as any other HMAC the app computes with the same secret.
_SIGNING_CONTEXT = b"pixel-studio/media-url/v1"


def safe_path(root: Path, key: str) -> Path:
    """The absolute path for `key` inside `root`, or `InvalidKey` if it would leave `root`.

    The key rules already refuse `..`; resolving and re-checking also catches a symlink planted
    inside the media folder that points elsewhere.
    """
    validate_key(key)
    base = root.resolve()
    path = (base / key).resolve()
    if not path.is_relative_to(base) or path == base:
        raise InvalidKey(f"storage key {key!r} resolves outside the media folder")
    return path


class LocalStorage:
    """Files on the local disk. Only for one machine: the embedded profile and tests."""

    def __init__(self, settings: Settings, *, clock: Callable[[], float] = time.time) -> None:
        self.root = settings.media_dir.resolve()
        secret = settings.resolved_secret_key().encode()
        self._signing_key = hmac.new(secret, _SIGNING_CONTEXT, hashlib.sha256).digest()
        self._clock = clock
        self.media_base_url = settings.media_base_url

    def path_for(self, key: str) -> Path:
        """Absolute path of `key`, refusing traversal: what the media route opens."""
        return safe_path(self.root, key)

    def put(self, key: str, data: bytes, content_type: str) -> None:
        # content_type is not stored: the media route derives it from the key's extension
        # (`content_type_for`), and keys are always written by the app, never by users.
        path = self.path_for(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        # Write beside the target then rename: os.replace is atomic on one filesystem, so a
        # reader sees the old file or the new one, never half of one. The dot prefix keeps the
        # temporary file unreachable by key (validate_key refuses hidden segments).
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=".part")
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, path)
        except BaseException:
            with suppress(FileNotFoundError):
                os.unlink(tmp)
            raise

    def get(self, key: str) -> bytes:
        path = self.path_for(key)
        try:
            return path.read_bytes()
        except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
            raise StorageNotFound(key) from None

    def delete(self, key: str) -> None:
        path = self.path_for(key)
        with suppress(FileNotFoundError, NotADirectoryError):
            path.unlink()

    def delete_many(self, keys: Iterable[str]) -> None:
        for key in keys:
            self.delete(key)

    def exists(self, key: str) -> bool:
        return self.path_for(key).is_file()

    def list_objects(self, prefix: str = "") -> Iterator[StoredObject]:
        for dirpath, dirnames, filenames in os.walk(self.root):
            # Hidden folders and files (temporary writes) are unreachable by key: not listed.
            dirnames[:] = [d for d in dirnames if not d.startswith(".")]
            for name in filenames:
                path = Path(dirpath) / name
                key = path.relative_to(self.root).as_posix()
                if not key.startswith(prefix):
                    continue
                try:
                    validate_key(key)
                    stat = path.lstat()
                except (InvalidKey, FileNotFoundError):
                    continue  # hidden or odd names, or deleted while we walked
                if not path.is_file() or path.is_symlink():
                    continue
                modified = datetime.fromtimestamp(stat.st_mtime, UTC)
                yield StoredObject(key, modified, stat.st_size)

    def public_url(self, key: str) -> str:
        return public_url_for(key, self.media_base_url, lambda k: MEDIA_URL_PREFIX + k)

    def private_url(self, key: str, viewer_id: int | None, expires_in: int = 300) -> str:
        validate_key(key)
        if expires_in <= 0:
            raise ValueError("expires_in must be positive")
        exp = int(self._clock()) + expires_in
        query = urlencode({"exp": exp, "sig": self._sign(key, exp, viewer_id)})
        return f"{MEDIA_URL_PREFIX}{key}?{query}"

    def verify_signed(
        self,
        key: str,
        exp: int | str,
        sig: str,
        viewer_id: int | None,
        *,
        now: float | None = None,
    ) -> bool:
        """True if `sig` was issued by `private_url` for this key and viewer and is not expired.

        The viewer id is not in the URL: the media route passes the id of whoever is signed in,
        so a URL copied to someone else does not verify for them.
        """
        try:
            validate_key(key)
            exp_int = int(exp)
        except (InvalidKey, ValueError, TypeError):
            return False
        current = self._clock() if now is None else now
        if exp_int < current:
            return False
        expected = self._sign(key, exp_int, viewer_id).encode()
        return hmac.compare_digest(expected, sig.encode("utf-8", "replace"))

    def _sign(self, key: str, exp: int, viewer_id: int | None) -> str:
        # Newline-separated: keys cannot contain one, so the fields cannot be shifted around.
        viewer = "" if viewer_id is None else str(int(viewer_id))
        message = f"{key}\n{exp}\n{viewer}".encode()
        digest = hmac.new(self._signing_key, message, hashlib.sha256).digest()
        return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
