"""The one storage interface every backend implements, and the rules shared by all of them."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol, runtime_checkable

# Keys end up in filesystem paths, S3 object names and URLs: a narrow alphabet means no
# escaping anywhere and no way to smuggle a path separator or a query string through.
_KEY_RE = re.compile(r"[A-Za-z0-9/_.\-]+")
MAX_KEY_LENGTH = 512

# Originals and thumbnails are written once under a key that contains a random UUID and are
# never overwritten, so browsers and CDNs may keep them forever.
IMMUTABLE_PREFIXES: tuple[str, ...] = ("images/",)
CACHE_IMMUTABLE = "public, max-age=31536000, immutable"
# Private images live under this prefix and nowhere else. A deployment never makes it public
# (README: the S3 bucket policy grants anonymous reads on `images/` and `avatars/` only), so a
# private file leaves only through a short-lived signed URL. Changing an image's privacy moves
# its files across this line under fresh names (services/studio/images.set_image_privacy).
PRIVATE_PREFIX = "private/"
# A browser may reuse a signed URL while it lives; a shared cache (CDN, proxy) never stores it.
CACHE_PRIVATE = "private, max-age=300"
# Anything else (e.g. an avatar someone may replace under the same key) is revalidated.
CACHE_REVALIDATE = "no-cache"


class StorageError(Exception):
    """A storage backend failed in a way the caller cannot fix by changing its input."""


class StorageNotFound(StorageError, KeyError):
    """No object is stored under the key."""

    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key

    def __str__(self) -> str:
        return f"no stored object under key {self.key!r}"


class InvalidKey(StorageError, ValueError):
    """The key breaks the key rules (see `validate_key`)."""


def validate_key(key: str) -> str:
    """Return `key` unchanged if it is safe to use as a storage key, else raise `InvalidKey`.

    Segments may not be empty or start with a dot: that refuses `..` and `.` traversal, and
    also keeps hidden names (the local backend's temporary files) unreachable by key.
    """
    if not isinstance(key, str) or not key:
        raise InvalidKey("storage key must be a non-empty string")
    if len(key) > MAX_KEY_LENGTH:
        raise InvalidKey(f"storage key longer than {MAX_KEY_LENGTH} characters")
    if not _KEY_RE.fullmatch(key):
        raise InvalidKey(f"storage key {key!r} has characters outside [A-Za-z0-9/_.-]")
    if key.startswith("/") or key.endswith("/"):
        raise InvalidKey(f"storage key {key!r} must not start or end with '/'")
    if ".." in key:
        raise InvalidKey(f"storage key {key!r} must not contain '..'")
    for segment in key.split("/"):
        if not segment or segment.startswith("."):
            raise InvalidKey(f"storage key {key!r} has an empty or hidden path segment")
    return key


def is_private_key(key: str) -> bool:
    """True for keys under the never-public prefix."""
    return key.startswith(PRIVATE_PREFIX)


def public_url_for(key: str, media_base_url: str, origin_url: Callable[[str], str]) -> str:
    """The one rule for a public file's URL, shared by every backend.

    A private key has none (it leaves only through `private_url`, never through a CDN or the
    storage's public address). Otherwise: MEDIA_BASE_URL + "/" + key when a CDN is set (its
    origin is the bucket with S3_PREFIX as origin path, or the app's /media/), else the
    backend's own address for the key (`origin_url`).
    """
    if is_private_key(validate_key(key)):
        raise InvalidKey(f"{key!r} is under the private prefix: it has no public URL")
    if media_base_url:
        return f"{media_base_url.rstrip('/')}/{key}"
    return origin_url(key)


def cache_control_for(key: str) -> str:
    """Cache-Control for the object under `key`: S3 stores it, the media route sends it."""
    if is_private_key(key):
        return CACHE_PRIVATE
    if key.startswith(IMMUTABLE_PREFIXES):
        return CACHE_IMMUTABLE
    return CACHE_REVALIDATE


def content_disposition_for(key: str) -> str:
    """`inline` with the key's last segment as file name; key rules make quoting unnecessary."""
    return f'inline; filename="{key.rsplit("/", 1)[-1]}"'


_CONTENT_TYPES = {
    "png": "image/png",
    "jpg": "image/jpeg",
    "jpeg": "image/jpeg",
    "webp": "image/webp",
    "gif": "image/gif",
    "json": "application/json",
    "txt": "text/plain; charset=utf-8",
}


def content_type_for(key: str) -> str:
    """Content type from the key's extension: keys are ours, so the extension is trusted."""
    name = key.rsplit("/", 1)[-1]
    ext = name.rpartition(".")[2].lower() if "." in name else ""
    return _CONTENT_TYPES.get(ext, "application/octet-stream")


@dataclass(frozen=True)
class StoredObject:
    """One stored file, as a listing sees it (the storage sweep's input)."""

    key: str
    modified: datetime  # timezone-aware, UTC
    size: int


@runtime_checkable
class Storage(Protocol):
    """Where image files live. Services depend on this, never on a concrete backend."""

    def put(self, key: str, data: bytes, content_type: str) -> None:
        """Store `data` under `key`, replacing any object there; readers never see half a file."""
        ...

    def get(self, key: str) -> bytes:
        """The bytes under `key`; raises `StorageNotFound` when there are none."""
        ...

    def delete(self, key: str) -> None:
        """Remove the object; deleting a missing key is not an error."""
        ...

    def delete_many(self, keys: Iterable[str]) -> None:
        """Remove every object in `keys` (missing ones are ignored)."""
        ...

    def exists(self, key: str) -> bool: ...

    def list_objects(self, prefix: str = "") -> Iterator[StoredObject]:
        """Every object whose key starts with `prefix`, in no particular order; names that
        are not valid keys (temporary files, foreign objects) are left out."""
        ...

    def public_url(self, key: str) -> str:
        """A stable URL for an image everybody may see (cacheable, never expires)."""
        ...

    def private_url(self, key: str, viewer_id: int | None, expires_in: int = 300) -> str:
        """A short-lived URL for one viewer who already passed the visibility rule."""
        ...
