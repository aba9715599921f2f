"""How `make test` spreads the suite over pytest-xdist workers (`-n N --dist loadgroup`).

Two constraints shape it:

- The browser tests (tests/e2e/) each need an app server, and a worker has one for its whole
  session (one port: tests/e2e/conftest.py). They run on one or two workers, "lanes", each
  with a server of its own; the run builds the frontend once and a second lane serves a copy
  with its own port (tests/e2e/shared_build.py). A module stays on one lane (its fixtures),
  and `SECOND_LANE` says which modules go to the second: the files of the production profile
  (PostgreSQL, Redis, S3, Celery: started once per lane that needs them) together, the two
  long scans (a11y, web vitals) apart, about half of the time each.
- Playwright's sync API leaves an event loop marked running in its worker's main thread for the
  rest of the session, so a worker that ran browser tests must run nothing else afterwards (a
  later `asyncio.run()` would fail). Without xdist the browser tests simply run last.

So each lane starts first, on a worker of its own that stops when it is done, and the other
workers take every other test file by file: a module's fixtures (Celery workers, moto, mail
and OIDC servers) start once, in one worker. xdist's --loadscope-reorder (on by default) hands
out the files with the most tests first, so no long file is left for the end. Two lanes need at
least one worker besides them: with fewer than `TWO_LANES_FROM` workers (E2E_LANES=1 or 2
overrides), every browser test is on one lane.
"""

from __future__ import annotations

import os
from typing import Any

import pytest
from xdist.scheduler import LoadScopeScheduling
from xdist.workermanage import WorkerController

BROWSER_PREFIX = "tests/e2e/"
BROWSER_LANES = ("e2e", "e2e-2")
TWO_LANES_FROM = 4  # workers: two lanes, and two workers for the ~1,600 other tests
# Summed test times of the two lanes side by side on 2 cores (2026-12-02): 391 s on the first
# (a11y 255 s of it), 335 s here; test_compare_e2e.py (25 s) since moved here to even them.
SECOND_LANE = frozenset(
    {
        "test_web_vitals_e2e.py",
        "test_social_e2e.py",
        "test_generation_e2e.py",
        "test_hosts_e2e.py",
        "test_identity_replay_e2e.py",
        "test_image_page_e2e.py",
        "test_discovery_e2e.py",
        "test_editing_e2e.py",
        "test_serving_e2e.py",
        "test_compare_e2e.py",
    }
)


def lanes_for(workers: int) -> int:
    """How many browser lanes a run of `workers` workers has: never all of them."""
    wanted = os.environ.get("E2E_LANES") or (2 if workers >= TWO_LANES_FROM else 1)
    return max(1, min(int(wanted), len(BROWSER_LANES), workers - 1))


def scope_of(nodeid: str, lanes: int = 1) -> str:
    """The unit of work: a browser lane, else the file. Decided by path: xdist 3.8.0's
    loadgroup appends `@group` to node ids through `item._nodeid`, which pytest 9 no longer
    reads, so an xdist_group mark would not reach the scheduler."""
    path = nodeid.replace("\\", "/").split("::", 1)[0]
    if path.startswith(BROWSER_PREFIX):
        second = lanes > 1 and path.rsplit("/", 1)[-1] in SECOND_LANE
        return BROWSER_LANES[1 if second else 0]
    if nodeid.rfind("@") > nodeid.rfind("]"):  # a group, should the suffix ever arrive
        return nodeid.rsplit("@", 1)[1]
    return path


class BrowserFirstScheduling(LoadScopeScheduling):
    """LoadScope by file, with each browser lane first, alone on its worker."""

    def __init__(self, config: pytest.Config, log: Any = None) -> None:
        super().__init__(config, log)
        self.lanes = lanes_for(self.numnodes)

    def _split_scope(self, nodeid: str) -> str:
        return scope_of(nodeid, self.lanes)

    def _is_lane_node(self, node: WorkerController) -> bool:
        return any(lane in self.assigned_work.get(node, {}) for lane in BROWSER_LANES)

    def _assign_work_unit(self, node: WorkerController) -> None:
        waiting = [lane for lane in BROWSER_LANES if lane in self.workqueue]
        if waiting and len(self.nodes) > 1:
            # Move it to the front: popitem(last=False) below hands it to this node.
            self.workqueue.move_to_end(waiting[0], last=False)
            super()._assign_work_unit(node)
            # Nothing else will be sent: the worker runs its browser lane and exits.
            node.shutdown()
            return
        if waiting and len(self.workqueue) > 1:
            # One worker only: the browser tests wait for everything else, as without xdist.
            self.workqueue.move_to_end(waiting[0])
        super()._assign_work_unit(node)

    def _reschedule(self, node: WorkerController) -> None:
        if self._is_lane_node(node):
            return  # it was told to shut down when it got its browser lane
        super()._reschedule(node)
