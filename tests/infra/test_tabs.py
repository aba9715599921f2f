from __future__ import annotations

import uuid

import pytest

from pixel_studio import tabs
from pixel_studio.tabs import MemoryTabs, RedisTabs, Tab, TabRegistry


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
    assert sorted([t.token for t in registry.tabs_for(user)]) == ["tab-a", "tab-b"]
    registry.forget(user, "tab-a")
    assert [t.token for t in registry.tabs_for(user)] == ["tab-b"]
    assert [t.token for t in registry.tabs_for(user + 1)] == []


def test_stale_tabs_age_out(registry: TabRegistry, monkeypatch: pytest.MonkeyPatch) -> None:
    user = int(uuid.uuid4().int % 1_000_000_000)
    registry.register(user, "old")
    real = tabs.time.time
    monkeypatch.setattr(tabs.time, "time", lambda: real() + tabs.TAB_TTL_SECONDS + 5)
    registry.register(user, "new")
    assert [t.token for t in registry.tabs_for(user)] == ["new"]


def test_a_tab_keeps_its_session_and_last_page(registry: TabRegistry) -> None:
    user = int(uuid.uuid4().int % 1_000_000_000)
    registry.register(user, "tab-a", 7, "/explore")
    registry.register(user, "tab-b")  # registered without them: the full delivery path
    registry.register(user, "tab-a", 7, "/image/3 and more")  # the page it moved to
    assert sorted(registry.tabs_for(user), key=lambda t: t.token) == [
        Tab("tab-a", 7, "/image/3 and more"),
        Tab("tab-b", None, ""),
    ]
    registry.forget(user, "tab-a")
    registry.register(user, "tab-a")  # back, without a session: none is left from before
    assert Tab("tab-a", None, "") in registry.tabs_for(user)


def test_redis_drops_the_where_of_tabs_that_aged_out(monkeypatch: pytest.MonkeyPatch) -> None:
    registry = RedisTabs("redis://127.0.0.1:6379/14")
    user = int(uuid.uuid4().int % 1_000_000_000)
    registry.register(user, "old", 1, "/a")
    real = tabs.time.time
    monkeypatch.setattr(tabs.time, "time", lambda: real() + tabs.TAB_TTL_SECONDS + 5)
    registry.register(user, "new", 2, "/b")
    assert registry.tabs_for(user) == [Tab("new", 2, "/b")]
    assert registry._redis.hkeys(registry._where_key(user)) == ["new"]
