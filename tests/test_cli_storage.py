"""`pixel-studio storage sweep | policy`, run in-process (SQLite and PostgreSQL)."""

from __future__ import annotations

import argparse
import json
import os
import time
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session

from pixel_studio.cli_storage import parse_duration
from pixel_studio.models import GenerationJob, Image, ImageSet
from pixel_studio.services import users
from pixel_studio.storage import get_storage, reset_storage_cache
from tests.test_cli import fresh_caches, point_at, run  # noqa: F401  (fixture)


@pytest.fixture
def media(db: Engine, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    monkeypatch.setenv("SECRET_KEY", "test-secret")
    monkeypatch.delenv("S3_BUCKET", raising=False)
    point_at(monkeypatch, db.url.render_as_string(hide_password=False), tmp_path)
    reset_storage_cache()
    return tmp_path / "media"


def test_sweep_dry_run_then_for_real(media: Path, capsys: pytest.CaptureFixture[str]) -> None:
    storage = get_storage()
    storage.put("images/u1/s1/orphan.png", b"12345", "image/png")
    storage.put("images/u1/s1/young.png", b"1", "image/png")
    old = time.time() - 3 * 3600
    os.utime(media / "images/u1/s1/orphan.png", (old, old))

    code, out, _ = run(capsys, "storage", "sweep", "--older-than", "2h", "--dry-run")
    assert code == 0 and "would remove 1" in out and "images/u1/s1/orphan.png" in out
    assert (media / "images/u1/s1/orphan.png").is_file()

    code, out, _ = run(capsys, "storage", "sweep", "--older-than", "2h")
    assert code == 0 and "removed 1" in out and "kept 1 younger" in out
    assert not (media / "images/u1/s1/orphan.png").exists()
    assert (media / "images/u1/s1/young.png").is_file()

    code, out, _ = run(capsys, "storage", "sweep")  # default 24h: the young one stays
    assert code == 0 and "removed 0" in out
    reset_storage_cache()


def test_policy_needs_s3(media: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _out, err = run(capsys, "storage", "policy")
    assert code == 2 and "S3_BUCKET" in err


def test_policy_for_the_configured_bucket(
    media: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from pixel_studio.settings import get_settings

    monkeypatch.setenv("S3_BUCKET", "pix")
    monkeypatch.setenv("S3_PREFIX", "studio")
    get_settings.cache_clear()
    code, out, _ = run(capsys, "storage", "policy")
    assert code == 0
    statement = json.loads(out)["Statement"][0]
    assert statement["Resource"] == [
        "arn:aws:s3:::pix/studio/images/*",
        "arn:aws:s3:::pix/studio/avatars/*",
    ]
    assert statement["Action"] == "s3:GetObject" and statement["Principal"] == "*"


def test_parse_duration() -> None:
    assert parse_duration("24h") == timedelta(hours=24)
    assert parse_duration("90s") == timedelta(seconds=90)
    assert parse_duration("7d") == timedelta(days=7)
    assert parse_duration("30m") == timedelta(minutes=30)
    assert parse_duration("0s") == timedelta(0)
    assert parse_duration("6") == timedelta(hours=6)
    for bad in ("", "h", "-1h", "1w", "1.5h"):
        with pytest.raises(argparse.ArgumentTypeError):
            parse_duration(bad)


def test_rekey_moves_older_private_images(
    media: Path, db: Engine, capsys: pytest.CaptureFixture[str]
) -> None:
    with Session(db) as s:
        uid = users.create_user(s, "rekeyer", "rk@example.com", "longenough", bonus=0).id or 0
        job = GenerationJob(id="rekey-job", user_id=uid, total=1, status="succeeded")
        s.add(job)
        s.flush()
        image_set = ImageSet(user_id=uid, job_id=job.id, prompt="p", model="local-sketch")
        s.add(image_set)
        s.flush()
        base = f"images/u{uid}/s{image_set.id}/old"
        image = Image(
            user_id=uid,
            set_id=image_set.id or 0,
            prompt="p",
            model="local-sketch",
            width=8,
            height=8,
            private=True,  # private, but stored where the bucket policy makes it public
            original_key=f"{base}.png",
            thumbnail_key=f"{base}.webp",
        )
        s.add(image)
        s.commit()
        image_id = image.id
    storage = get_storage()
    storage.put(f"{base}.png", b"png", "image/png")
    storage.put(f"{base}.webp", b"webp", "image/webp")

    code, out, _ = run(capsys, "storage", "rekey")
    assert code == 0 and "1 image" in out
    with Session(db) as s:
        row = s.get(Image, image_id)
        assert row is not None and row.original_key.startswith("private/images/")
    assert not (media / f"{base}.png").exists()
    assert (media / row.original_key).read_bytes() == b"png"
    code, out, _ = run(capsys, "storage", "rekey")
    assert code == 0 and "0 image" in out
    reset_storage_cache()
