"""SECRET_KEY: generated once, atomically and private, for the embedded profile; required (the
app, worker and CLI refuse to start) when SITE_URL is https or the database is PostgreSQL."""

from __future__ import annotations

import multiprocessing
import stat
from pathlib import Path
from typing import Any

import pytest

from pixel_studio import cli
from pixel_studio.settings import Settings, SettingsError, get_settings
from workers.celery_app import make_app

PG = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"


def _settings(tmp_path: Path, **kw: Any) -> Settings:
    return Settings(_env_file=None, data_dir=tmp_path, **kw)  # type: ignore[call-arg]


def _resolve(data_dir: str, barrier: Any, out: Any) -> None:
    barrier.wait()  # every process reaches the missing file at the same moment
    out.put(_settings(Path(data_dir)).resolved_secret_key())


def test_the_generated_key_is_private_and_one_for_racing_processes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("SECRET_KEY", raising=False)
    ctx = multiprocessing.get_context("fork")
    for round_ in range(5):
        data_dir = tmp_path / f"round{round_}"
        barrier, out = ctx.Barrier(6), ctx.Queue()
        procs = [ctx.Process(target=_resolve, args=(str(data_dir), barrier, out)) for _ in range(6)]
        for p in procs:
            p.start()
        keys = {out.get(timeout=30) for _ in procs}
        for p in procs:
            p.join(30)
        path = data_dir / ".secret_key"
        assert len(keys) == 1 and keys == {path.read_text().strip()}
        assert len(keys.pop()) >= 48
        assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_the_key_file_is_created_0600_from_the_start(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Never world-readable, not even between the write and a later chmod."""
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.setattr(Path, "chmod", lambda *_a, **_k: None)
    key = _settings(tmp_path).resolved_secret_key()
    path = tmp_path / ".secret_key"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert _settings(tmp_path).resolved_secret_key() == key  # read back, not made again


@pytest.mark.parametrize(
    "kw", [{"site_url": "https://studio.example"}, {"database_url": PG}], ids=["https", "pg"]
)
def test_production_refuses_to_run_without_a_secret_key(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, kw: dict[str, str]
) -> None:
    monkeypatch.delenv("SECRET_KEY", raising=False)
    settings = _settings(tmp_path, **kw)
    with pytest.raises(SettingsError, match="SECRET_KEY"):
        settings.check_startup()
    with pytest.raises(SettingsError, match="SECRET_KEY"):
        settings.resolved_secret_key()
    assert not (tmp_path / ".secret_key").exists()  # no per-machine key made behind its back
    with pytest.raises(SettingsError, match="SECRET_KEY"):
        make_app(settings.model_copy(update={"redis_url": "redis://127.0.0.1:6379/15"}))
    # Set: fine (an https site also says how it is exposed: tests/infra/test_exposure.py).
    _settings(tmp_path, secret_key="configured", trusted_proxy_hops=1, **kw).check_startup()
    _settings(tmp_path).check_startup()  # the embedded profile generates its own


def test_the_cli_and_the_app_refuse_to_start_without_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.chdir(tmp_path)  # and no .env file from the checkout
    monkeypatch.setenv("SITE_URL", "https://studio.example")
    monkeypatch.setenv("DATA_DIR", str(tmp_path))
    get_settings.cache_clear()
    try:
        assert cli.main(["db", "upgrade"]) == cli.EXIT_ENVIRONMENT
        assert "SECRET_KEY" in capsys.readouterr().err
        from pixel_studio.api import create_api

        with pytest.raises(SettingsError, match="SECRET_KEY"):
            create_api()
    finally:
        get_settings.cache_clear()
