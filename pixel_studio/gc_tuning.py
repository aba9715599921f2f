"""Python's cyclic garbage collector, tuned for the long-lived backend process.

A backend holding many live tabs allocates steadily (each push creates a task per socket) over a
large heap (Reflex, SQLAlchemy, the sockets). At Python's default (a young collection every 700
allocations), objects still alive at each collection are promoted, and the older generations'
collections then walk the whole heap: with 1,000 tabs, ~10 s of GC in a 2-minute run, single
pauses of 150–900 ms, some of them in the middle of a push (bench/RESULTS.md, "Small values
straight to the sockets", measured with `gc.callbacks`). Freezing the start-up heap takes it
out of every later collection, and a higher young threshold lets most short-lived objects die
by reference count before a collection sees them: 0.7 s of GC in the same run, for ~50 MiB
more resident memory.
"""

from __future__ import annotations

import gc
import logging

from pixel_studio.settings import get_settings

log = logging.getLogger(__name__)

# Older generations: collected after this many younger collections (Python: 10, 10).
OLDER_THRESHOLDS = (20, 100)


def tune_gc(gen0_threshold: int) -> None:
    """Freeze what exists now and raise the young generation's threshold; 0 changes nothing."""
    if gen0_threshold <= 0:
        return
    gc.collect()
    gc.freeze()
    gc.set_threshold(gen0_threshold, *OLDER_THRESHOLDS)
    log.info(
        "gc: %d start-up objects frozen, thresholds %s", gc.get_freeze_count(), gc.get_threshold()
    )


async def tune_gc_at_start() -> None:
    """Backend lifespan task: runs once the app is imported and compiled."""
    tune_gc(get_settings().gc_gen0_threshold)
