"""Fixtures the service tests share (the database ones are in tests/conftest.py)."""

from __future__ import annotations

import pytest

from pixel_studio.settings import Settings
from pixel_studio.storage.local import LocalStorage


@pytest.fixture
def storage(settings: Settings) -> LocalStorage:
    return LocalStorage(settings)
