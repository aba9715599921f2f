"""Fixtures the provider tests share."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.providers.peers import Peer, running_peer


@pytest.fixture
def peer() -> Iterator[Peer]:
    """A fresh loopback HTTP peer per test, stopped afterwards."""
    with running_peer() as p:
        yield p


@pytest.fixture(scope="session")
def model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny random-weight Stable Diffusion pipeline saved to a folder, built once per run
    (the generation and the edit tests share it)."""
    from tests.providers.test_local_diffusers import build_tiny_pipeline

    folder = tmp_path_factory.mktemp("tiny-sd")
    build_tiny_pipeline(folder)
    return folder
