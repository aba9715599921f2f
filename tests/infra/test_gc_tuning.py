"""The backend's GC tuning (pixel_studio/gc_tuning.py): the start-up heap frozen, the young
generation's threshold raised, and 0 leaving Python's defaults alone."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest

from pixel_studio.gc_tuning import OLDER_THRESHOLDS, tune_gc


@pytest.fixture
def restored_gc() -> Iterator[None]:
    thresholds = gc.get_threshold()
    yield
    gc.unfreeze()
    gc.set_threshold(*thresholds)


@pytest.mark.usefixtures("restored_gc")
def test_the_start_up_heap_is_frozen_and_young_collections_are_rarer() -> None:
    gc.unfreeze()
    kept = [object() for _ in range(10)]  # alive at start-up: frozen with the rest
    tune_gc(50_000)
    assert gc.get_threshold() == (50_000, *OLDER_THRESHOLDS)
    assert gc.get_freeze_count() >= len(kept)
    tracked_now = len(gc.get_objects(generation=2))
    assert tracked_now < gc.get_freeze_count()  # the old generation no longer holds them


@pytest.mark.usefixtures("restored_gc")
def test_zero_keeps_pythons_own_settings() -> None:
    gc.unfreeze()
    before = gc.get_threshold()
    tune_gc(0)
    assert gc.get_threshold() == before
    assert gc.get_freeze_count() == 0
