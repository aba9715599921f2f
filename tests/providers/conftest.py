"""Fixtures the provider tests share."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.providers.peers import Peer, running_peer


@pytest.fixture
def peer() -> Iterator[Peer]:
    """A fresh loopback HTTP peer per test, stopped afterwards."""
    with running_peer() as p:
        yield p
