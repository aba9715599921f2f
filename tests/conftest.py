from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from argon2 import PasswordHasher
from sqlalchemy.engine import Engine
from sqlmodel import Session

from pixel_studio.cache import MemoryCache
from pixel_studio.migrations import upgrade
from pixel_studio.settings import Settings
from tests.db_fixtures import migrated_engine, wipe

# Production setups (PostgreSQL, https) refuse to start without SECRET_KEY (settings.py
# check_startup); every app, CLI and worker the tests start, in process or not, gets this one.
os.environ.setdefault("SECRET_KEY", "test-suite-secret")
# Starlette's TestClient sends `Host: testserver`; the Host check (api/hosts.py) accepts only
# SITE_URL's host, the loopback aliases and ALLOWED_HOSTS, so name it here. Foreign hosts are
# still refused (tests/api/test_hosts.py).
os.environ.setdefault("ALLOWED_HOSTS", "testserver")
# `make test` runs 4 xdist workers on 2 cores: torch's and the ncnn upscaler's OpenMP pools
# would each start a thread per core in every worker, and the oversubscribed tests crawl (one
# took 199 s). One thread per worker process instead. Torch reads it at its first import,
# which comes after this file (nothing above imports torch); an explicit setting wins.
if os.environ.get("PYTEST_XDIST_WORKER"):
    os.environ.setdefault("OMP_NUM_THREADS", "1")


@pytest.hookimpl(trylast=True)  # after pytest has grouped tests by their session fixtures
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Browser tests last: Playwright's sync API leaves an event loop running in the main
    thread, and any later test that calls asyncio.run() would fail with "cannot be called from
    a running event loop". The stable sort keeps every other test in pytest's order."""
    items.sort(key=lambda item: "tests/e2e/" in item.nodeid.replace("\\", "/"))


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> Any:
    """`--dist loadgroup` (make test): the browser tests first on one or two workers of their
    own, every other file whole on one of the others (tests/xdist_scheduling.py says why)."""
    if config.getvalue("dist") != "loadgroup":
        return None
    from tests.xdist_scheduling import BrowserFirstScheduling

    return BrowserFirstScheduling(config, log)


@pytest.fixture(scope="session")
def sqlite_engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    yield from migrated_engine("sqlite", tmp_path_factory.mktemp("sqlite"))


@pytest.fixture(scope="session")
def postgresql_engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    yield from migrated_engine("postgresql", tmp_path_factory.mktemp("postgresql"))


@pytest.fixture(scope="session")
def sqlite_at_head(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite file migrated to head once per run (per xdist worker), never opened by a test:
    tests that need a database of their own get a copy (tests.db_fixtures.copy_sqlite)."""
    path = tmp_path_factory.mktemp("sqlite-head") / "pixel_studio.db"
    upgrade(f"sqlite:///{path}")
    return path


@pytest.fixture(params=["sqlite", "postgresql"])
def engine(request: pytest.FixtureRequest) -> Engine:
    """Every service test runs once on SQLite and once on PostgreSQL. Each database is created
    and migrated once per run (per xdist worker); a session-scoped parametrized fixture would
    be torn down and migrated again at each switch of kind, which xdist's order (file by file,
    [sqlite] and [postgresql] mixed) makes frequent."""
    return request.getfixturevalue(f"{request.param}_engine")  # type: ignore[no-any-return]


@pytest.fixture(scope="session", autouse=True)
def _cheap_password_hashing() -> Iterator[None]:
    """argon2 at the app's cost (64 MiB, 3 passes: ~0.1 s of CPU on an idle core, ~0.7 s on a
    busy one) was paid at every sign-up, log-in and password check of every test, thousands in
    all. In this process the tests still hash and verify with argon2id, at its smallest memory
    and time cost; the app's own processes (browser tests, Celery workers, CLI subprocesses)
    keep the real one. Hashes carry their parameters: either kind verifies anywhere."""
    from pixel_studio.services import users

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(
            users, "_hasher", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
        )
        yield


@pytest.fixture
def db(engine: Engine) -> Iterator[Engine]:
    """The engine, emptied after the test."""
    yield engine
    wipe(engine)


@pytest.fixture
def session(db: Engine) -> Iterator[Session]:
    with Session(db, expire_on_commit=False) as s:
        yield s


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(_env_file=None, data_dir=tmp_path, secret_key="test-secret")  # type: ignore[call-arg]


@pytest.fixture
def cache() -> MemoryCache:
    return MemoryCache()
