"""How `make test` spreads the suite over pytest-xdist workers (`-n N --dist loadgroup`).

Two constraints shape it:

- The browser tests share one app server (one port, one `.web` build dir): they all run in one
  worker, as the group "e2e" (tests/conftest.py marks them `xdist_group("e2e")`).
- Playwright's sync API leaves an event loop marked running in its worker's main thread for the
  rest of the session, so a worker that ran browser tests must run nothing else afterwards (a
  later `asyncio.run()` would fail). Without xdist the browser tests simply run last.

So the browser tests start first, on a worker of their own that stops when they are done, and
the other workers take every other test file by file: a module's fixtures (Celery workers, moto,
mail and OIDC servers) start once, in one worker. xdist's --loadscope-reorder (on by default)
hands out the files with the most tests first, so no long file is left for the end.
"""

from __future__ import annotations

from xdist.scheduler import LoadScopeScheduling
from xdist.workermanage import WorkerController

BROWSER_GROUP = "e2e"


def scope_of(nodeid: str) -> str:
    """The unit of work: the browser group, else the file. Decided by path: xdist 3.8.0's
    loadgroup appends `@group` to node ids through `item._nodeid`, which pytest 9 no longer
    reads, so the xdist_group mark alone does not reach the scheduler."""
    if nodeid.replace("\\", "/").startswith("tests/e2e/"):
        return BROWSER_GROUP
    if nodeid.rfind("@") > nodeid.rfind("]"):  # a group, should the suffix ever arrive
        return nodeid.rsplit("@", 1)[1]
    return nodeid.split("::", 1)[0]


class BrowserFirstScheduling(LoadScopeScheduling):
    """LoadScope by file, with the browser group first, alone on its worker."""

    def _split_scope(self, nodeid: str) -> str:
        return scope_of(nodeid)

    def _browser_node(self) -> WorkerController | None:
        for node, work in self.assigned_work.items():
            if BROWSER_GROUP in work:
                return node
        return None

    def _assign_work_unit(self, node: WorkerController) -> None:
        if BROWSER_GROUP in self.workqueue and len(self.nodes) > 1:
            # Move it to the front: popitem(last=False) below hands it to this node.
            self.workqueue.move_to_end(BROWSER_GROUP, last=False)
            super()._assign_work_unit(node)
            # Nothing else will be sent: the worker runs the browser tests and exits.
            node.shutdown()
            return
        if BROWSER_GROUP in self.workqueue and len(self.workqueue) > 1:
            # One worker only: the browser tests wait for everything else, as without xdist.
            self.workqueue.move_to_end(BROWSER_GROUP)
        super()._assign_work_unit(node)

    def _reschedule(self, node: WorkerController) -> None:
        if node is self._browser_node():
            return  # it was told to shut down when it got the browser tests
        super()._reschedule(node)
