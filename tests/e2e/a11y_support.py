"""Helpers for the accessibility tests (test_a11y_e2e.py): the app's routes read from the app
itself, a seeded world to fill their dynamic segments, and axe-core run inside the page.

axe-core is the npm package pinned in tools/package.json (`npm ci --prefix tools` installs it
with bun): its axe.min.js is injected into every page by an init script, nothing is fetched.
"""

from __future__ import annotations

import functools
import json
import re
import sqlite3
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import Page

from tests.e2e.conftest import REPO, AppServer, _app_env

AXE_JS = REPO / "tools" / "node_modules" / "axe-core" / "axe.min.js"
BLOCKING = ("serious", "critical")
NOT_FOUND_PATH = "/no-such-page-for-a11y"

# Set in the page before any script runs: the time of the last DOM change and of the last
# message on Reflex's socket, so a scan can wait for the page's data (on_load events, their
# state deltas) to have stopped arriving.
TRACK_MUTATIONS = """
window.__lastMutation = Date.now();
window.__socket = {messages: 0, last: 0};
new MutationObserver(() => { window.__lastMutation = Date.now(); })
  .observe(document, {subtree: true, childList: true, attributes: true, characterData: true});
const NativeWebSocket = window.WebSocket;
window.WebSocket = class extends NativeWebSocket {
  constructor(...args) {
    super(...args);
    this.addEventListener('message', () => {
      window.__socket.messages += 1; window.__socket.last = Date.now();
    });
  }
};
"""

# Where a page stands: what SETTLED waits for, reported when it never comes.
PAGE_STATE = """
() => ({
  ready: document.readyState,
  fonts: document.fonts.status,
  spinners: [...document.querySelectorAll('main .rt-Spinner, main [aria-busy=true]')]
    .map(e => e.outerHTML.slice(0, 120)),
  socketMessages: window.__socket.messages,
  msSinceSocket: Date.now() - window.__socket.last,
  msSinceMutation: Date.now() - window.__lastMutation,
})
"""

# Loaded: the socket has delivered the page's state and then gone quiet, no loading spinner
# in the page (the pages show one until their on_load has filled the state; a visitor on an
# account page sees one until the redirect), the DOM quiet for `quiet` ms, and the fonts
# ready (contrast is computed on the final text).
SETTLED = """
([quiet]) => document.readyState === 'complete'
  && document.fonts.status === 'loaded'
  && window.__socket.messages > 0
  && Date.now() - window.__socket.last > quiet
  && !document.querySelector('main .rt-Spinner, main [aria-busy=true]')
  && Date.now() - window.__lastMutation > quiet
"""

# Only serious and critical violations fail the test, so the rules that cannot report one are
# not run: those whose every check is minor or moderate (a rule's impact is the highest of its
# failing checks', or the rule's own when it sets one). Read from the injected axe itself, so an
# axe upgrade that raises a rule's impact brings it back; a check of unknown impact keeps its
# rule. This skips `region` (moderate), which walks the whole page, among others.
RUN_AXE = """
async () => {
  const checks = axe._audit.data.checks;
  const low = new Set(['minor', 'moderate']);
  const rules = {};
  for (const rule of axe._audit.rules) {
    const impacts = rule.impact ? [rule.impact]
      : [...rule.any, ...rule.all, ...rule.none]
          .map(c => (checks[typeof c === 'string' ? c : c.id] || {}).impact);
    if (impacts.length && impacts.every(i => low.has(i))) rules[rule.id] = {enabled: false};
  }
  window.__axeSkipped = Object.keys(rules);
  const result = await axe.run(document, {resultTypes: ['violations'], rules});
  return result.violations.map(v => ({
    id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.map(n => ({target: n.target.join(' '), summary: n.failureSummary,
                              html: n.html.slice(0, 200)})),
  }));
}
"""


@functools.cache  # importing the app is seconds of CPU; once a session, not once a state
def app_routes() -> tuple[str, ...]:
    """Every page route the app registers, as Reflex keeps them ("index", "sets/[set_id]",
    "404"), read at test time so pages added later are scanned too. A subprocess: importing
    the app configures the backend's logging, which is no business of the test process."""
    code = (
        "import json; from pixel_studio.pixel_studio import app; "
        "print(json.dumps(list(app._unevaluated_pages)))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=True
    ).stdout
    return tuple(json.loads(out.strip().splitlines()[-1]))


@dataclass(frozen=True)
class World:
    """Real ids from the seeded database, one of each kind, all the signed-in user's own."""

    username: str
    password: str
    user_id: int
    image_id: int
    set_id: int
    collection_id: int
    job_id: str

    def value_for(self, param: str) -> str | None:
        """What fills the dynamic segment `[param]`; None for a segment nobody taught us."""
        name = param.lower()
        for key, value in (
            ("image", self.image_id),
            ("set", self.set_id),
            ("collection", self.collection_id),
            ("job", self.job_id),
            ("name", self.username),
            ("user", self.user_id),
        ):
            if key in name:
                return str(value)
        return None

    def path(self, route: str) -> str:
        if route == "index":
            return "/"
        if route == "404":
            return NOT_FOUND_PATH
        missing: list[str] = []

        def fill(match: re.Match[str]) -> str:
            value = self.value_for(match.group(1))
            if value is None:
                missing.append(match.group(0))
                return match.group(0)
            return value

        path = "/" + re.sub(r"\[\.{0,3}([^\]]+)\]", fill, route)
        if missing:
            raise LookupError(
                f"route {route!r}: no seeded value for {missing}; teach World.value_for "
                "(tests/e2e/a11y_support.py) which id fills it"
            )
        return path


def seed_world(server: AppServer, username: str, password: str) -> World:
    """`pixel-studio seed-demo` against the running server's database (a small gallery with
    likes, comments, follows and collections), the demo user made an admin so the admin pages
    are scanned with their content; returns that user's ids."""
    assert server.profile is not None
    data_dir = server.root / server.profile
    env = _app_env(data_dir, server.port)
    seeded = False
    if (data_dir / "pixel_studio.db").exists():  # sqlite3.connect would create an empty file
        with sqlite3.connect(data_dir / "pixel_studio.db") as db:
            has_users = db.execute(
                "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'user_account'"
            ).fetchone()
            seeded = has_users is not None and (
                db.execute("SELECT 1 FROM user_account WHERE username = ?", (username,)).fetchone()
                is not None
            )
    if not seeded:  # once per server: a later module reuses the gallery an earlier one made
        made = subprocess.run(
            [str(Path(sys.executable).parent / "pixel-studio"), "seed-demo", "--images", "12"],
            cwd=REPO,
            env=env,
            check=False,
            capture_output=True,
            text=True,
        )
        assert made.returncode == 0, f"seed-demo failed:\n{made.stdout}\n{made.stderr[-4000:]}"
    with sqlite3.connect(data_dir / "pixel_studio.db") as db:
        one = _one(db)
        user_id = one("SELECT id FROM user_account WHERE username = ?", username)
        db.execute("UPDATE user_account SET is_admin = 1 WHERE id = ?", (user_id,))
        set_id = one("SELECT id FROM image_set WHERE user_id = ? ORDER BY id", user_id)
        image_id = one("SELECT id FROM image WHERE set_id = ? ORDER BY id", set_id)
    # Someone likes the user's image through the service: an unread notification, so the
    # bell's count badge is on every signed-in page that is scanned.
    subprocess.run(
        [sys.executable, "-c", LIKE_AS_OTHER, username, str(image_id)],
        cwd=REPO,
        env=env,
        check=True,
        capture_output=True,
    )
    with sqlite3.connect(data_dir / "pixel_studio.db") as db:
        one = _one(db)
        return World(
            username=username,
            password=password,
            user_id=int(user_id),
            image_id=int(image_id),
            set_id=int(set_id),
            collection_id=int(one("SELECT id FROM collection WHERE user_id = ?", user_id)),
            job_id=str(one("SELECT job_id FROM image_set WHERE id = ?", set_id)),
        )


LIKE_AS_OTHER = """
import sys
from pixel_studio.cache import get_cache
from pixel_studio.db import session_scope
from pixel_studio.models import User
from pixel_studio.services.social import likes
from sqlmodel import col, select

owner, image_id = sys.argv[1], int(sys.argv[2])
with session_scope() as session:
    fan = session.exec(select(User.id).where(col(User.username) != owner)).first()
    likes.like_image(session, get_cache(), fan, image_id, publish=lambda event: None)
"""


def _one(db: sqlite3.Connection) -> Any:
    def query(sql: str, *args: Any) -> Any:
        row = db.execute(sql, args).fetchone()
        assert row is not None, f"the seeded database has nothing for: {sql} {args}"
        return row[0]

    return query


def wait_settled(page: Page, quiet_ms: int = 600) -> None:
    try:
        page.wait_for_function(SETTLED, arg=[quiet_ms], timeout=20_000)
    except PlaywrightError as exc:
        raise AssertionError(
            f"{page.url} never settled: {page.evaluate(PAGE_STATE)} ({exc.message})"
        ) from None


def scan(page: Page) -> list[dict[str, Any]]:
    """axe-core's serious and critical violations in the page as it is now."""
    violations: list[dict[str, Any]] = page.evaluate(RUN_AXE)
    return [v for v in violations if v["impact"] in BLOCKING]


def describe(where: str, violations: list[dict[str, Any]]) -> list[str]:
    lines = []
    for v in violations:
        for node in v["nodes"][:6]:
            lines.append(
                f"{where}: [{v['impact']}] {v['id']} ({v['help']}) at {node['target']}\n"
                f"    {node['html']}\n    {node['summary']}"
            )
    return lines
