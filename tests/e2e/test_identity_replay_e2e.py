"""The review's first finding, replayed against the built app (issue 13, item 5).

A raw Socket.IO client speaks Reflex's protocol, as the browser does: it connects to `/_event`
with a tab token in the query, the session cookie and our Origin in the handshake, the boot
event (`hydrate_and_load`) in the CONNECT packet; then it sends events by name. The tab loads
its owner's private collection and collections list (the positive control: the deltas do carry
the secret title). The session is then revoked, and the same tab token is replayed:
- on a new socket with no cookie,
- on a new socket with the revoked cookie.
Neither may receive anything private: no delta holds the secret title, the username or a
signed-in shell, whichever events are asked for.
"""

from __future__ import annotations

import asyncio
import io
import json
import uuid
from collections.abc import Coroutine, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

import httpx
import pytest
import socketio
from PIL import Image
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from pixel_studio.api.deps import SESSION_COOKIE
from pixel_studio.cache import MemoryCache
from pixel_studio.db import make_engine
from pixel_studio.models import GenerationJob
from pixel_studio.services import users
from pixel_studio.services.accounts import sessions
from pixel_studio.services.social import collections
from pixel_studio.state.auth import AuthState
from pixel_studio.state.collection_detail import CollectionDetailState
from pixel_studio.state.collections import CollectionsState
from pixel_studio.state.start_image import StartImageState
from tests.e2e.conftest import AppServer

pytestmark = pytest.mark.e2e
T = TypeVar("T")

NAMESPACE = "/_event"
BOOT = "reflex___state____state.hydrate_and_load"
PASSWORD = "correct horse battery"


def run_in_own_loop(coro: Coroutine[Any, Any, T]) -> T:
    """asyncio.run in a thread of its own: a browser test run earlier in this process leaves
    Playwright's event loop running in the main thread, where asyncio.run refuses to start."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coro).result()


def event_name(cls: type[Any], handler: str) -> str:
    return f"{cls.get_full_name()}.{handler}"


@pytest.fixture
def app_db(
    request: pytest.FixtureRequest, app_server: AppServer, app_profile: str
) -> Iterator[Engine]:
    """The running app's own database: the embedded profile's SQLite file, or PostgreSQL."""
    if app_profile == "production":
        url = request.getfixturevalue("production_env")["DATABASE_URL"]
    else:
        url = f"sqlite:///{app_server.root / 'embedded' / 'pixel_studio.db'}"
    engine = make_engine(url)
    yield engine
    engine.dispose()


class Tab:
    """One socket of a tab: every state update it receives, as JSON text."""

    def __init__(self, base: str, token: str, cookie: str | None) -> None:
        self.base, self.token, self.cookie = base, token, cookie
        self.client = socketio.AsyncClient(reconnection=False)
        self.received: list[str] = []
        self.client.on("event", self._on_event, namespace=NAMESPACE)

    async def _on_event(self, update: Any) -> None:
        self.received.append(json.dumps(update))

    async def open(self, path: str, pattern: str) -> None:
        headers = {"Origin": self.base}
        if self.cookie is not None:
            headers["Cookie"] = f"{SESSION_COOKIE}={self.cookie}"
        await self.client.connect(
            f"{self.base}?token={self.token}",
            headers=headers,
            auth={"event": {"name": BOOT, "payload": {}, "router_data": route(path, pattern)}},
            transports=["websocket"],
            socketio_path="/_event",
            namespaces=[NAMESPACE],
            wait_timeout=30,
        )
        await self.settle()

    async def send(self, name: str, path: str, pattern: str, **payload: Any) -> None:
        data = {"name": name, "payload": payload, "router_data": route(path, pattern)}
        await self.client.emit("event", data, namespace=NAMESPACE)
        await self.settle()

    async def settle(self, quiet: float = 1.0, limit: float = 15.0) -> None:
        """Wait until no update has arrived for `quiet` seconds."""
        loop = asyncio.get_running_loop()
        end, seen, last = loop.time() + limit, -1, loop.time()
        while loop.time() < end:
            if len(self.received) != seen:
                seen, last = len(self.received), loop.time()
            elif loop.time() - last >= quiet:
                return
            await asyncio.sleep(0.1)

    def text(self) -> str:
        return "\n".join(self.received)

    async def close(self) -> None:
        await self.client.disconnect()


def route(path: str, pattern: str) -> dict[str, Any]:
    return {"pathname": pattern, "query": {}, "asPath": path}


def sign_up(base: str, username: str) -> str:
    """A new account over the HTTP API; its session cookie."""
    answer = httpx.post(
        f"{base}/api/auth/signup",
        json={"username": username, "email": f"{username}@example.com", "password": PASSWORD},
        headers={"Origin": base},
        timeout=30,
    )
    assert answer.status_code == 201, answer.text
    cookie = answer.cookies.get(SESSION_COOKIE)
    assert cookie
    return cookie


def private_collection(engine: Engine, username: str, title: str) -> int:
    with Session(engine) as session:
        user = users.find_by_username(session, username)
        assert user is not None and user.id is not None
        made = collections.create_collection(
            session, MemoryCache(), user.id, title, description=title, private=True
        )
        assert made.id is not None
        return made.id


def revoke_all_sessions(engine: Engine, username: str) -> None:
    with Session(engine) as session:
        user = users.find_by_username(session, username)
        assert user is not None and user.id is not None
        mine = sessions.list_sessions(session, user.id, None)
        assert mine, "the sign-up made a session"
        for info in mine:
            sessions.revoke_session(session, user.id, info.id)


DETAIL_ROUTE = "/collections/[collection_id]"


async def load_private_pages(tab: Tab, collection_id: int) -> None:
    detail = f"/collections/{collection_id}"
    await tab.send(event_name(AuthState, "load_user"), detail, DETAIL_ROUTE)
    await tab.send(event_name(CollectionDetailState, "load"), detail, DETAIL_ROUTE)
    await tab.send(event_name(CollectionDetailState, "load_more"), detail, DETAIL_ROUTE)
    # The list page's loader, sent WITHOUT its require_user first: as an attacker would.
    await tab.send(event_name(CollectionsState, "load"), "/collections", "/collections")


# Production too: there the tab's states live in Redis, loaded substate by substate.
@pytest.mark.parametrize("app_profile", ["embedded", "production"], indirect=True)
def test_a_revoked_tab_token_replayed_reads_nothing_private(
    app_server: AppServer, app_db: Engine, app_profile: str
) -> None:
    app_url = app_server.base
    username = f"replay{uuid.uuid4().hex[:10]}"
    secret = f"secret-{uuid.uuid4().hex}"
    cookie = sign_up(app_url, username)
    collection_id = private_collection(app_db, username, secret)
    token = str(uuid.uuid4())
    detail = f"/collections/{collection_id}"

    async def scenario() -> tuple[Tab, Tab, Tab]:
        owner = Tab(app_url, token, cookie)
        await owner.open(detail, "/collections/[collection_id]")
        await load_private_pages(owner, collection_id)
        await owner.close()
        await asyncio.sleep(1.0)  # the server drops the token's socket link

        revoke_all_sessions(app_db, username)

        no_cookie = Tab(app_url, token, None)
        await no_cookie.open(detail, "/collections/[collection_id]")
        await load_private_pages(no_cookie, collection_id)
        await no_cookie.close()
        await asyncio.sleep(1.0)

        revoked_cookie = Tab(app_url, token, cookie)
        await revoked_cookie.open(detail, "/collections/[collection_id]")
        await load_private_pages(revoked_cookie, collection_id)
        await revoked_cookie.close()
        return owner, no_cookie, revoked_cookie

    owner, no_cookie, revoked_cookie = run_in_own_loop(scenario())

    # The control: the protocol really works, and the owner's tab did read the private data.
    assert secret in owner.text() and username in owner.text() and signed_in_shown(owner)
    for replay in (no_cookie, revoked_cookie):
        assert replay.received, "the replayed socket was answered (hydrate at least)"
        assert secret not in replay.text()
        assert username not in replay.text()
        assert not signed_in_shown(replay)


def signed_in_shown(tab: Tab) -> bool:
    """Whether any update set the shell's `signed_in` to true."""
    for raw in tab.received:
        for state, fields in (json.loads(raw).get("delta") or {}).items():
            if not (state.endswith("auth_state") and isinstance(fields, dict)):
                continue
            if any(k.startswith("signed_in") and v is True for k, v in fields.items()):
                return True
    return False


def test_identity_middleware_is_installed_first() -> None:
    """The hydrate snapshot must be taken after the identity check: it runs first."""
    from pixel_studio.pixel_studio import app
    from pixel_studio.state.identity import IdentityMiddleware

    assert isinstance(app._middlewares[0], IdentityMiddleware)


def jobs_of(engine: Engine, username: str) -> int:
    with Session(engine) as session:
        user = users.find_by_username(session, username)
        assert user is not None
        return len(
            session.exec(select(GenerationJob).where(GenerationJob.user_id == user.id)).all()
        )


def upload_start_image(base: str, token: str, cookie: str | None) -> None:
    """What the /edit page's upload does: POST the file to Reflex's upload route for the tab."""
    picture = io.BytesIO()
    Image.new("RGB", (64, 64), (200, 80, 40)).save(picture, format="PNG")
    headers = {
        "Origin": base,
        "reflex-client-token": token,
        "reflex-event-handler": event_name(StartImageState, "start_from_upload"),
    }
    if cookie is not None:
        headers["Cookie"] = f"{SESSION_COOKIE}={cookie}"
    answer = httpx.post(
        f"{base}/_upload",
        files={"files": ("start.png", picture.getvalue(), "image/png")},
        headers=headers,
        timeout=60,
    )
    assert answer.status_code < 500, answer.text


def test_an_upload_runs_only_as_the_user_of_its_own_cookie(
    app_server: AppServer, app_db: Engine
) -> None:
    """A tab's token alone must not upload as its user: the upload route is plain HTTP, so its
    event carries no socket of its own; the request's cookie has to be that tab's user."""
    app_url = app_server.base
    username = f"upload{uuid.uuid4().hex[:10]}"
    cookie = sign_up(app_url, username)
    token = str(uuid.uuid4())

    async def open_edit_page() -> None:
        tab = Tab(app_url, token, cookie)
        await tab.open("/edit", "/edit")
        await tab.send(event_name(AuthState, "require_user"), "/edit", "/edit")
        await tab.send(event_name(StartImageState, "load"), "/edit", "/edit")
        await tab.send(event_name(StartImageState, "set_prompt"), "/edit", "/edit", value="a fox")
        await tab.close()

    async def wait_for_jobs(expected: int) -> int:
        for _ in range(100):
            if (found := jobs_of(app_db, username)) >= expected:
                return found
            await asyncio.sleep(0.2)
        return jobs_of(app_db, username)

    run_in_own_loop(open_edit_page())
    upload_start_image(app_url, token, None)  # the tab's token, no cookie: an attacker
    upload_start_image(app_url, token, sign_up(app_url, f"other{uuid.uuid4().hex[:8]}"))
    assert run_in_own_loop(wait_for_jobs(1)) == 0, "an upload ran as a user it did not sign in as"

    run_in_own_loop(open_edit_page())  # the control: the owner's own upload starts a job
    upload_start_image(app_url, token, cookie)
    assert run_in_own_loop(wait_for_jobs(1)) == 1
