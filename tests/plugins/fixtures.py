"""Helpers for tests that need a known set of plugins in this process."""

from __future__ import annotations

from collections.abc import Iterable
from importlib.metadata import EntryPoint

import pytest

from pixel_studio.plugins import discovery


def use_plugins(
    monkeypatch: pytest.MonkeyPatch,
    group: str,
    found: Iterable[EntryPoint] = (),
    disabled: frozenset[str] = frozenset(),
) -> None:
    """Make `group` hold the built-ins plus `found` only, for this test (installed example
    plugins left out): the catalog tests are about the built-in models."""
    records = discovery.discover(group, found=list(found), disabled=disabled)
    monkeypatch.setitem(discovery._loaded, group, records)
    monkeypatch.setattr(discovery, "_models", {})
