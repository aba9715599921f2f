"""The periodic recovery task also removes unreferenced files, once per interval overall."""

from __future__ import annotations

import asyncio
import os
import time
from typing import Any

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session

from pixel_studio import cache
from pixel_studio.cache import MemoryCache
from pixel_studio.services.operations import job_recovery
from pixel_studio.settings import Settings
from pixel_studio.storage import get_storage, reset_storage_cache


def test_sweep_runs_once_per_interval_across_backends(
    monkeypatch: pytest.MonkeyPatch, db: Engine, session: Session, settings: Settings
) -> None:
    shared = MemoryCache()  # stands in for the Redis every backend shares
    monkeypatch.setattr(cache, "get_cache", lambda: shared)
    reset_storage_cache()
    storage = get_storage(settings)
    storage.put("images/u1/s1/left-by-a-killed-worker.png", b"x", "image/png")
    path = settings.media_dir / "images/u1/s1/left-by-a-killed-worker.png"
    old = time.time() - 2 * 86400
    os.utime(path, (old, old))

    assert job_recovery.sweep_storage_if_due(settings, db) == 1
    assert not path.exists()
    # Another backend (or the next pass) within the interval: not its turn.
    assert job_recovery.sweep_storage_if_due(settings, db) is None
    reset_storage_cache()


def test_recovery_loop_requeues_and_sweeps(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[str] = []

    def requeue(*_a: Any, **_k: Any) -> list[str]:
        calls.append("requeue")
        raise RuntimeError("database down")  # must not stop the sweep or the loop

    def sweep(*_a: Any, **_k: Any) -> int:
        calls.append("sweep")
        return 0

    async def stop(_seconds: float) -> None:
        raise asyncio.CancelledError

    monkeypatch.setattr(job_recovery, "requeue_stale", requeue)
    monkeypatch.setattr(job_recovery, "sweep_storage_if_due", sweep)
    monkeypatch.setattr(job_recovery.asyncio, "sleep", stop)
    with pytest.raises(asyncio.CancelledError):
        asyncio.run(job_recovery.recover_stale_jobs())
    assert calls == ["requeue", "sweep"]
