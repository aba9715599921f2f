"""S3Storage: the real boto3 client against an S3-protocol server (moto) on loopback."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import boto3
import pytest
from botocore.config import Config
from moto.server import ThreadedMotoServer

from pixel_studio.settings import Settings
from pixel_studio.storage import Storage, StorageNotFound, get_storage, reset_storage_cache
from pixel_studio.storage.base import (
    CACHE_IMMUTABLE,
    CACHE_PRIVATE,
    CACHE_REVALIDATE,
    InvalidKey,
)
from pixel_studio.storage.s3 import S3Storage, public_read_policy

REGION = "us-east-1"


@pytest.fixture(scope="module")
def aws_env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    # Fake credentials, and no way to pick up a developer's real profile or an instance role.
    empty = tmp_path_factory.mktemp("aws")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("AWS_ACCESS_KEY_ID", "testing")
        mp.setenv("AWS_SECRET_ACCESS_KEY", "testing")
        mp.setenv("AWS_DEFAULT_REGION", REGION)
        mp.setenv("AWS_CONFIG_FILE", str(empty / "config"))
        mp.setenv("AWS_SHARED_CREDENTIALS_FILE", str(empty / "credentials"))
        mp.setenv("AWS_EC2_METADATA_DISABLED", "true")
        for name in ("AWS_SESSION_TOKEN", "AWS_PROFILE", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_S3"):
            mp.delenv(name, raising=False)
        yield


@pytest.fixture(scope="module")
def endpoint(aws_env: None) -> Iterator[str]:
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture
def bucket(endpoint: str) -> str:
    """A fresh bucket per test with the policy a deployment applies (README): anonymous reads
    on the public prefixes under `studio/`, nothing else."""
    name = f"pixel-{uuid.uuid4().hex[:12]}"
    client = raw_client(endpoint)
    client.create_bucket(Bucket=name)
    policy = public_read_policy(name, "studio/")
    client.put_bucket_policy(Bucket=name, Policy=json.dumps(policy))
    return name


def raw_client(endpoint: str) -> Any:
    config = Config(signature_version="s3v4", s3={"addressing_style": "path"})
    return boto3.client("s3", region_name=REGION, endpoint_url=endpoint, config=config)


def make_settings(tmp_path: Path, endpoint: str, bucket: str, prefix: str = "") -> Settings:
    return Settings(
        data_dir=tmp_path,
        secret_key="test-secret",
        s3_bucket=bucket,
        s3_endpoint_url=endpoint,
        s3_region=REGION,
        s3_prefix=prefix,
    )


@pytest.fixture
def storage(tmp_path: Path, endpoint: str, bucket: str) -> S3Storage:
    return S3Storage(make_settings(tmp_path, endpoint, bucket, prefix="studio/"))


def fetch(url: str) -> tuple[int, bytes, dict[str, str]]:
    """Plain anonymous HTTP, as a browser would; header names lower-cased."""
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            headers = {k.lower(): v for k, v in response.headers.items()}
            return response.status, response.read(), headers
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read(), {k.lower(): v for k, v in exc.headers.items()}


def test_is_a_storage(storage: S3Storage) -> None:
    assert isinstance(storage, Storage)


def test_put_get_exists_delete(storage: S3Storage, endpoint: str, bucket: str) -> None:
    key = "images/u1/s2/abc.png"
    assert not storage.exists(key)
    storage.put(key, b"png-bytes", "image/png")
    assert storage.exists(key)
    assert storage.get(key) == b"png-bytes"
    # Stored under the configured prefix, invisible to callers.
    assert raw_client(endpoint).head_object(Bucket=bucket, Key=f"studio/{key}")

    storage.delete(key)
    assert not storage.exists(key)
    storage.delete(key)  # idempotent
    with pytest.raises(StorageNotFound):
        storage.get(key)


def test_headers_are_stored(storage: S3Storage, endpoint: str, bucket: str) -> None:
    storage.put("images/u1/s1/a.webp", b"webp", "image/webp")
    storage.put("avatars/u1.webp", b"webp", "image/webp")
    head = raw_client(endpoint).head_object(Bucket=bucket, Key="studio/images/u1/s1/a.webp")
    assert head["ContentType"] == "image/webp"
    assert head["ContentDisposition"] == 'inline; filename="a.webp"'
    assert head["CacheControl"] == CACHE_IMMUTABLE
    head = raw_client(endpoint).head_object(Bucket=bucket, Key="studio/avatars/u1.webp")
    assert head["CacheControl"] == CACHE_REVALIDATE


def test_delete_many_in_chunks(storage: S3Storage, monkeypatch: pytest.MonkeyPatch) -> None:
    keys = [f"images/u1/s1/{i}.webp" for i in range(5)]
    for key in keys:
        storage.put(key, b"x", "image/webp")
    monkeypatch.setattr("pixel_studio.storage.s3.DELETE_BATCH", 2)
    calls: list[int] = []
    real = storage.client.delete_objects

    def counting(**kwargs: Any) -> Any:
        calls.append(len(kwargs["Delete"]["Objects"]))
        return real(**kwargs)

    monkeypatch.setattr(storage.client, "delete_objects", counting)
    storage.delete_many([*keys, "images/u1/s1/missing.webp"])
    assert calls == [2, 2, 2]
    assert not any(storage.exists(key) for key in keys)
    storage.delete_many([])  # nothing to do, no request
    assert calls == [2, 2, 2]


def test_public_url_is_fetchable(storage: S3Storage, endpoint: str, bucket: str) -> None:
    storage.put("images/u1/s1/pub.png", b"public-bytes", "image/png")
    url = storage.public_url("images/u1/s1/pub.png")
    assert url == f"{endpoint}/{bucket}/studio/images/u1/s1/pub.png"
    status, body, headers = fetch(url)
    assert status == 200
    assert body == b"public-bytes"
    assert headers["content-type"] == "image/png"
    assert headers["cache-control"] == CACHE_IMMUTABLE


def test_presigned_url_carries_expiry_and_fetches(storage: S3Storage) -> None:
    storage.put("images/u1/s1/priv.png", b"private-bytes", "image/png")
    url = storage.private_url("images/u1/s1/priv.png", viewer_id=7, expires_in=120)
    query = parse_qs(urlsplit(url).query)
    # moto serves even expired or tampered URLs: what we can check is what we asked S3 for.
    assert query["X-Amz-Expires"] == ["120"]
    assert query["X-Amz-Algorithm"] == ["AWS4-HMAC-SHA256"]
    assert "X-Amz-Signature" in query
    assert urlsplit(url).path.endswith("/studio/images/u1/s1/priv.png")
    status, body, headers = fetch(url)
    assert status == 200
    assert body == b"private-bytes"
    assert headers["content-disposition"] == 'inline; filename="priv.png"'


def test_private_prefix_is_refused_unsigned_and_served_presigned(
    storage: S3Storage, endpoint: str, bucket: str
) -> None:
    key = "private/images/u1/s1/secret.png"
    storage.put(key, b"private-bytes", "image/png")
    # What someone who learnt the key would try: a plain GET of the object.
    status, _body, _headers = fetch(f"{endpoint}/{bucket}/studio/{key}")
    assert status == 403
    with pytest.raises(InvalidKey):
        storage.public_url(key)  # the app never hands out a public URL for it either
    url = storage.private_url(key, viewer_id=7, expires_in=90)
    assert parse_qs(urlsplit(url).query)["X-Amz-Expires"] == ["90"]
    status, body, headers = fetch(url)
    assert (status, body) == (200, b"private-bytes")
    # Never stored by a shared cache, unlike public images.
    assert headers["cache-control"] == CACHE_PRIVATE
    # Objects outside the public prefixes stay private too (the policy names them, not "*").
    storage.put("other/x.txt", b"x", "text/plain")
    assert fetch(f"{endpoint}/{bucket}/studio/other/x.txt")[0] == 403


def test_list_objects_with_times(storage: S3Storage, endpoint: str, bucket: str) -> None:
    before = datetime.now(UTC) - timedelta(seconds=5)
    storage.put("images/u1/s1/a.png", b"aa", "image/png")
    storage.put("private/images/u1/s1/b.png", b"b", "image/png")
    storage.put("avatars/u1/c.webp", b"c", "image/webp")
    # Outside the prefix, or not a valid key: not ours, never listed.
    raw_client(endpoint).put_object(Bucket=bucket, Key="elsewhere/z.png", Body=b"z")
    raw_client(endpoint).put_object(Bucket=bucket, Key="studio/bad key!.png", Body=b"z")
    listed = {o.key: o for o in storage.list_objects()}
    assert set(listed) == {"images/u1/s1/a.png", "private/images/u1/s1/b.png", "avatars/u1/c.webp"}
    assert listed["images/u1/s1/a.png"].size == 2
    assert all(o.modified >= before and o.modified.tzinfo is not None for o in listed.values())
    assert [o.key for o in storage.list_objects("private/")] == ["private/images/u1/s1/b.png"]


def test_presigned_url_lifetime_is_bounded(storage: S3Storage) -> None:
    with pytest.raises(ValueError):
        storage.private_url("images/u1/s1/a.png", 7, expires_in=0)
    with pytest.raises(ValueError):
        storage.private_url("images/u1/s1/a.png", 7, expires_in=8 * 24 * 3600)


def test_aws_public_urls(tmp_path: Path, aws_env: None) -> None:
    def url(bucket: str, region: str) -> str:
        settings = Settings(
            data_dir=tmp_path, s3_bucket=bucket, s3_region=region, s3_endpoint_url=""
        )
        return S3Storage(settings).public_url("images/a.png")

    assert url("pix", "us-east-1") == "https://pix.s3.amazonaws.com/images/a.png"
    assert url("pix", "eu-west-3") == "https://pix.s3.eu-west-3.amazonaws.com/images/a.png"
    assert url("pix.example", "eu-west-3") == (
        "https://s3.eu-west-3.amazonaws.com/pix.example/images/a.png"
    )


def test_get_storage_picks_s3(tmp_path: Path, endpoint: str, bucket: str) -> None:
    reset_storage_cache()
    chosen = get_storage(make_settings(tmp_path, endpoint, bucket))
    assert isinstance(chosen, S3Storage)
    assert get_storage(make_settings(tmp_path, endpoint, bucket)) is chosen
    reset_storage_cache()
