"""Fixtures for every REST API test: a memory cache and the app's client on the test
database (tests/api/rest_helpers.py builds it)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine

from pixel_studio.cache import MemoryCache
from pixel_studio.settings import Settings
from tests.api.rest_helpers import api_client


@pytest.fixture
def memory() -> MemoryCache:
    return MemoryCache()


@pytest.fixture
def client(db: Engine, settings: Settings, memory: MemoryCache) -> Iterator[TestClient]:
    with api_client(db, settings, memory) as c:
        yield c
