from __future__ import annotations

import uuid

import pytest

from pixel_studio import tabs
from pixel_studio.tabs import MemoryTabs, RedisTabs, TabRegistry


@pytest.fixture(params=["memory", "redis"])
def registry(request: pytest.FixtureRequest) -> TabRegistry:
    if request.param == "memory":
        return MemoryTabs()
    return RedisTabs("redis://127.0.0.1:6379/14")


def test_register_list_and_forget(registry: TabRegistry) -> None:
    user = int(uuid.uuid4().int % 1_000_000_000)
    registry.register(user, "tab-a")
    registry.register(user, "tab-b")
    registry.register(user, "tab-a")
    assert sorted(registry.tokens_for(user)) == ["tab-a", "tab-b"]
    registry.forget(user, "tab-a")
    assert registry.tokens_for(user) == ["tab-b"]
    assert registry.tokens_for(user + 1) == []


def test_stale_tabs_age_out(registry: TabRegistry, monkeypatch: pytest.MonkeyPatch) -> None:
    user = int(uuid.uuid4().int % 1_000_000_000)
    registry.register(user, "old")
    real = tabs.time.time
    monkeypatch.setattr(tabs.time, "time", lambda: real() + tabs.TAB_TTL_SECONDS + 5)
    registry.register(user, "new")
    assert registry.tokens_for(user) == ["new"]
