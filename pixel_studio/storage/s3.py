"""Production storage: one S3 bucket (AWS, or MinIO and the like through an endpoint URL)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import UTC
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

from pixel_studio.settings import Settings

from .base import (
    PRIVATE_PREFIX,
    InvalidKey,
    StorageError,
    StorageNotFound,
    StoredObject,
    cache_control_for,
    content_disposition_for,
    public_url_for,
    validate_key,
)

# S3's DeleteObjects accepts at most 1,000 keys per request.
DELETE_BATCH = 1000
# SigV4 presigned URLs cannot live longer than seven days.
MAX_PRESIGN_SECONDS = 7 * 24 * 3600
_NOT_FOUND_CODES = {"NoSuchKey", "404", "NotFound"}


# The parts of the key space anonymous readers may GET; everything else (PRIVATE_PREFIX above
# all) stays private. Keep in step with the README's bucket policy.
PUBLIC_READ_PREFIXES: tuple[str, ...] = ("images/", "avatars/")
assert not any(p.startswith(PRIVATE_PREFIX) for p in PUBLIC_READ_PREFIXES)


def public_read_policy(bucket: str, prefix: str = "") -> dict[str, Any]:
    """The bucket policy a deployment applies: anonymous GET on the public prefixes only.

    `pixel-studio storage policy` prints it. Objects under `private/` are then readable only
    with credentials, i.e. through the presigned URLs the app hands out after its visibility
    check; S3 Block Public Access must allow bucket policies for the public part to work.
    """
    prefix = prefix.strip("/")
    base = f"{prefix}/" if prefix else ""
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "PixelStudioPublicRead",
                "Effect": "Allow",
                "Principal": "*",
                "Action": "s3:GetObject",
                "Resource": [f"arn:aws:s3:::{bucket}/{base}{p}*" for p in PUBLIC_READ_PREFIXES],
            }
        ],
    }


def _error_code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


class S3Storage:
    """Objects under `settings.s3_prefix` in `settings.s3_bucket`.

    `public_url` assumes the deployment lets anonymous readers GET the public prefixes
    (`public_read_policy`, or a CDN in front); private images live under `private/`, which is
    never public, and only ever leave through `private_url`.
    """

    def __init__(self, settings: Settings, *, client: Any | None = None) -> None:
        if not settings.s3_bucket:
            raise ValueError("S3Storage needs settings.s3_bucket")
        self.bucket = settings.s3_bucket
        self.region = settings.s3_region or "us-east-1"
        self.endpoint_url = settings.s3_endpoint_url.rstrip("/")
        self.media_base_url = settings.media_base_url
        prefix = settings.s3_prefix.strip("/")
        self.prefix = f"{prefix}/" if prefix else ""
        if prefix:
            validate_key(prefix)
        if client is None:
            config = Config(
                signature_version="s3v4",
                # S3-compatible servers (MinIO, moto) rarely resolve bucket subdomains.
                s3={"addressing_style": "path" if self.endpoint_url else "virtual"},
                retries={"max_attempts": 4, "mode": "standard"},
                connect_timeout=5,
                read_timeout=60,
            )
            # Credentials come from boto3's usual chain (environment, profile, instance role).
            client = boto3.client(
                "s3",
                region_name=self.region,
                endpoint_url=self.endpoint_url or None,
                config=config,
            )
        self.client: Any = client

    def object_name(self, key: str) -> str:
        """The S3 object name for a storage key (the key under the configured prefix)."""
        return self.prefix + validate_key(key)

    def put(self, key: str, data: bytes, content_type: str) -> None:
        name = self.object_name(key)
        try:
            # A single PutObject is atomic: readers see the old object or the new one.
            self.client.put_object(
                Bucket=self.bucket,
                Key=name,
                Body=data,
                ContentType=content_type,
                ContentDisposition=content_disposition_for(key),
                CacheControl=cache_control_for(key),
            )
        except ClientError as exc:
            raise StorageError(f"S3 put {name!r} failed: {_error_code(exc)}") from exc

    def get(self, key: str) -> bytes:
        name = self.object_name(key)
        try:
            response = self.client.get_object(Bucket=self.bucket, Key=name)
        except ClientError as exc:
            if _error_code(exc) in _NOT_FOUND_CODES:
                raise StorageNotFound(key) from None
            raise StorageError(f"S3 get {name!r} failed: {_error_code(exc)}") from exc
        with response["Body"] as body:
            data: bytes = body.read()
        return data

    def delete(self, key: str) -> None:
        name = self.object_name(key)
        try:
            # S3 answers 204 for a missing key too, which is the idempotence we promise.
            self.client.delete_object(Bucket=self.bucket, Key=name)
        except ClientError as exc:
            raise StorageError(f"S3 delete {name!r} failed: {_error_code(exc)}") from exc

    def delete_many(self, keys: Iterable[str]) -> None:
        names = [self.object_name(key) for key in keys]
        for start in range(0, len(names), DELETE_BATCH):
            chunk = names[start : start + DELETE_BATCH]
            try:
                response = self.client.delete_objects(
                    Bucket=self.bucket,
                    Delete={"Objects": [{"Key": name} for name in chunk], "Quiet": True},
                )
            except ClientError as exc:
                raise StorageError(f"S3 delete_objects failed: {_error_code(exc)}") from exc
            # DeleteObjects answers 200 even when some keys failed: the errors are in the body.
            errors = [e for e in response.get("Errors", []) if e.get("Code") != "NoSuchKey"]
            if errors:
                first = errors[0]
                raise StorageError(
                    f"S3 delete_objects failed for {len(errors)} key(s), "
                    f"first {first.get('Key')!r}: {first.get('Code')}"
                )

    def exists(self, key: str) -> bool:
        name = self.object_name(key)
        try:
            self.client.head_object(Bucket=self.bucket, Key=name)
        except ClientError as exc:
            if _error_code(exc) in _NOT_FOUND_CODES:
                return False
            raise StorageError(f"S3 head {name!r} failed: {_error_code(exc)}") from exc
        return True

    def list_objects(self, prefix: str = "") -> Iterator[StoredObject]:
        paginator = self.client.get_paginator("list_objects_v2")
        try:
            for page in paginator.paginate(Bucket=self.bucket, Prefix=self.prefix + prefix):
                for item in page.get("Contents", []):
                    key = str(item["Key"])[len(self.prefix) :]
                    try:
                        validate_key(key)
                    except InvalidKey:
                        continue  # not an object this app wrote
                    modified = item["LastModified"].astimezone(UTC)
                    yield StoredObject(key, modified, int(item.get("Size", 0)))
        except ClientError as exc:
            raise StorageError(f"S3 list failed: {_error_code(exc)}") from exc

    def public_url(self, key: str) -> str:
        return public_url_for(key, self.media_base_url, self._bucket_url)

    def _bucket_url(self, key: str) -> str:
        """The object's address on S3 itself (anonymous GET under the public-read policy)."""
        name = self.object_name(key)
        if self.endpoint_url:
            return f"{self.endpoint_url}/{self.bucket}/{name}"
        # A dotted bucket name breaks the wildcard TLS certificate of virtual hosts.
        if "." in self.bucket:
            return f"https://s3.{self.region}.amazonaws.com/{self.bucket}/{name}"
        if self.region == "us-east-1":
            return f"https://{self.bucket}.s3.amazonaws.com/{name}"
        return f"https://{self.bucket}.s3.{self.region}.amazonaws.com/{name}"

    def private_url(self, key: str, viewer_id: int | None, expires_in: int = 300) -> str:
        # viewer_id cannot be bound into an S3 signature: the URL is a bearer token for its
        # lifetime, which is why it is short and only handed out after the visibility check.
        if not 0 < expires_in <= MAX_PRESIGN_SECONDS:
            raise ValueError(f"expires_in must be between 1 and {MAX_PRESIGN_SECONDS} seconds")
        url: str = self.client.generate_presigned_url(
            "get_object",
            Params={"Bucket": self.bucket, "Key": self.object_name(key)},
            ExpiresIn=expires_in,
        )
        return url
