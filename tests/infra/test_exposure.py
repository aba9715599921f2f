"""Deployment defaults that fail closed (issue 13, item 7): a SITE_URL that is not loopback
with TRUSTED_PROXY_HOPS=0 refuses to start (app, Celery worker, CLI) unless DIRECT_EXPOSURE=1
says the app really faces the internet."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from pixel_studio import cli
from pixel_studio.settings import Settings, SettingsError, get_settings, is_loopback_host
from workers.celery_app import make_app

LOOPBACK = [
    "http://localhost:3000",
    "http://127.0.0.1:8001",
    "http://127.8.9.10:3000",
    "http://[::1]:3000",
    "http://studio.localhost:3000",
]
DEPLOYED = [
    "https://studio.example.com",
    "http://studio.example.com",
    "http://192.168.1.5:3000",  # a private address is still "not this machine"
    "http://0.0.0.0:3000",
    "http://[2001:db8::1]:3000",
    "http://localhost.example.com",  # a name that only starts like loopback
]


def _settings(tmp_path: Path, **kw: Any) -> Settings:
    return Settings(_env_file=None, data_dir=tmp_path, secret_key="k", **kw)  # type: ignore[call-arg]


@pytest.mark.parametrize("site_url", LOOPBACK)
def test_a_loopback_site_starts_whatever_the_hops(tmp_path: Path, site_url: str) -> None:
    assert _settings(tmp_path, site_url=site_url).site_is_loopback
    for hops in (0, 1):
        _settings(tmp_path, site_url=site_url, trusted_proxy_hops=hops).check_startup()


@pytest.mark.parametrize("site_url", DEPLOYED)
def test_a_deployed_site_needs_proxy_hops_or_direct_exposure(tmp_path: Path, site_url: str) -> None:
    settings = _settings(tmp_path, site_url=site_url)
    assert not settings.site_is_loopback
    with pytest.raises(SettingsError, match="TRUSTED_PROXY_HOPS is 0") as refused:
        settings.check_startup()
    assert "DIRECT_EXPOSURE=1" in str(refused.value)  # the message says both ways out
    _settings(tmp_path, site_url=site_url, trusted_proxy_hops=1).check_startup()
    _settings(tmp_path, site_url=site_url, trusted_proxy_hops=2).check_startup()
    _settings(tmp_path, site_url=site_url, direct_exposure=True).check_startup()


def test_loopback_names() -> None:
    assert is_loopback_host("LOCALHOST") and is_loopback_host("[::1]")
    assert is_loopback_host("127.0.0.1") and is_loopback_host("a.b.localhost")
    for host in ("", "localhostx", "example.com", "10.0.0.1", "::", "0.0.0.0"):
        assert not is_loopback_host(host), host


@pytest.fixture
def deployed_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)  # no .env from the checkout
    monkeypatch.setenv("SITE_URL", "https://studio.example.com")
    monkeypatch.setenv("DATA_DIR", str(tmp_path))
    monkeypatch.setenv("SECRET_KEY", "configured")
    monkeypatch.setenv("REDIS_URL", "redis://127.0.0.1:6379/15")
    monkeypatch.delenv("TRUSTED_PROXY_HOPS", raising=False)
    monkeypatch.delenv("DIRECT_EXPOSURE", raising=False)
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


@pytest.mark.usefixtures("deployed_env")
def test_the_app_the_worker_and_the_cli_refuse_then_start(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from pixel_studio.api import create_api

    with pytest.raises(SettingsError, match="TRUSTED_PROXY_HOPS"):
        create_api()
    with pytest.raises(SettingsError, match="TRUSTED_PROXY_HOPS"):
        make_app(get_settings())
    assert cli.main(["metrics", "reset"]) == cli.EXIT_ENVIRONMENT
    assert "TRUSTED_PROXY_HOPS" in capsys.readouterr().err

    for name, value in (("TRUSTED_PROXY_HOPS", "1"), ("DIRECT_EXPOSURE", "1")):
        with monkeypatch.context() as m:
            m.setenv(name, value)
            get_settings.cache_clear()
            assert create_api() is not None
            assert make_app(get_settings()).main == "pixel_studio"
            assert cli.main(["metrics", "reset"]) == 0
        get_settings.cache_clear()
