"""How the privacy matrix reaches the app: every page's on_load chain run on a fresh state
tree (as the socket runs it), and every HTTP route's concrete URLs for the fixture world.

Both are built from the app's own route tables (`app._load_events`, the FastAPI app's routes),
so a page or route added later is probed without anyone editing the matrix; one whose
parameters the matrix cannot fill fails with a message saying where to teach it.
"""

from __future__ import annotations

import asyncio
import inspect
import itertools
import re
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import pytest
from reflex.event import EventHandler, EventSpec
from reflex.istate.data import RouterData
from reflex.state import BaseState, State
from reflex.utils.format import json_dumps
from starlette.routing import BaseRoute

from pixel_studio.storage import get_storage
from tests.privacy_world import World

HERE = "tests/privacy_probes.py"
# Read handlers a page runs after its on_load (scrolling, tabs): run them too.
EXTRA_READS: dict[str, list[tuple[Any, ...]]] = {"set_tab": [("sets",), ("collections",)]}

# ---------------------------------------------------------------- Reflex pages

_SEGMENT = re.compile(r"\[([^\]]+)\]")


def page_fill(name: str, w: World) -> list[str]:
    """Values for a dynamic page segment: A's private things first, then public ones (the
    public ones show the page really loads)."""
    table: dict[str, list[int | str]] = {
        "image_id": [w.private_image, w.turned_image, w.public_image],
        "set_id": [w.private_set, w.turned_set, w.public_set],
        "collection_id": [w.private_collection, w.alice_public_collection, w.bob_collection],
        "profile_name": [w.alice_name, w.bob_name],
        "username": [w.alice_name, w.bob_name],
    }
    if name not in table:
        pytest.fail(
            f"a page route has the segment [{name}], which the privacy matrix cannot fill: "
            f"add it to page_fill in {HERE}"
        )
    return [str(v) for v in table[name]]


def page_paths(route: str, w: World) -> list[tuple[str, dict[str, str]]]:
    """Concrete paths for a registered page route, each with the values of its segments."""
    if route == "404":
        return [("/no-such-page-zz", {})]
    path = "/" + ("" if route == "index" else route)
    names = _SEGMENT.findall(route)
    if not names:
        # A search box may read ?q=: search for the private words too.
        return [(path, {}), (f"{path}?q=zqxprivprompt", {}), (f"{path}?q=zqxturnedtitle", {})]
    out = []
    for values in itertools.product(*(page_fill(n, w) for n in names)):
        concrete = path
        for name, value in zip(names, values, strict=True):
            concrete = concrete.replace(f"[{name}]", value)
        out.append((concrete, dict(zip(names, values, strict=True))))
    return out


def new_tree(path: str, cookie: str) -> State:
    root = State(_reflex_internal_init=True)  # type: ignore[call-arg]  # how Reflex builds one
    root.router = RouterData.from_router_data(
        {
            "headers": {"origin": "http://localhost:3000", "cookie": cookie},
            "ip": "10.0.0.9",
            "asPath": path,
            "pathname": path.split("?")[0],
            "token": "matrix-tab",
        }
    )
    return root


def _substate(root: State, handler: EventHandler) -> BaseState:
    return root.get_substate(handler.state.get_full_name().split(".")[1:])


def _takes_args(handler: EventHandler) -> bool:
    return len(inspect.signature(handler.fn).parameters) > 1


async def _call(root: State, handler: EventHandler, args: tuple[Any, ...] = ()) -> list[Any]:
    """Run one handler as Reflex would; what it returned or yielded, flattened."""
    result = handler.fn(_substate(root, handler), *args)
    out: list[Any] = []
    if inspect.isasyncgen(result):
        out = [item async for item in result]
    elif inspect.iscoroutine(result):
        out = [await result]
    elif inspect.isgenerator(result):
        out = list(result)
    else:
        out = [result]
    flat: list[Any] = []
    for item in out:
        flat.extend(item if isinstance(item, list | tuple) else [item])
    return flat


async def _run_chain(root: State, handlers: list[EventHandler], ran: set[type]) -> None:
    """Handlers in order, then any state handler they chain to (e.g. the image page's
    comments). A redirect does not stop the chain: the backend still runs the remaining
    on_load handlers and sends their state before the browser navigates."""
    queue = list(handlers)
    steps = 0
    while queue and steps < 50:
        steps += 1
        handler = queue.pop(0)
        ran.add(handler.state)
        for item in await _call(root, handler):
            nxt = item.handler if isinstance(item, EventSpec) and not item.args else item
            if isinstance(nxt, EventHandler) and nxt.state_full_name and not _takes_args(nxt):
                queue.append(nxt)


async def _extra_reads(root: State, ran: set[type]) -> None:
    for cls in ran:
        for name, handler in cls.event_handlers.items():
            if name.startswith("load_more") and not _takes_args(handler):
                await _call(root, handler)
            for args in EXTRA_READS.get(name, []):
                await _call(root, handler, args)


def load_page(handlers: list[EventHandler], path: str, cookie: str) -> str:
    """A page load as the socket runs it; the browser-visible state of the tab, as JSON."""
    root = new_tree(path, cookie)

    async def go() -> None:
        ran: set[type] = set()
        await _run_chain(root, handlers, ran)
        await _extra_reads(root, ran)

    # Its own loop in its own thread (Playwright may own this thread's loop).
    with ThreadPoolExecutor(max_workers=1) as pool:
        pool.submit(asyncio.run, go()).result()
    tree = root.dict()
    # The router echoes the URL the browser asked for: what it sent is not a leak.
    for name, fields in tree.items():
        tree[name] = {k: v for k, v in fields.items() if not k.startswith("rx_router")}
    text = json_dumps(tree)
    # Nor is a search box holding the words it searched for (a whole JSON string).
    for word in _query_words(path):
        text = text.replace(json_dumps(word), '""')
    return text


def _query_words(path: str) -> list[str]:
    query = path.split("?", 1)[1] if "?" in path else ""
    return [v for part in query.split("&") if (v := part.partition("=")[2])]


# ---------------------------------------------------------------- HTTP routes

# Routes that do not read: each says why it is outside the matrix. Any other method than GET
# must be listed here, so a new write route is looked at before it ships.
NOT_READS: dict[tuple[str, str], str] = {
    ("POST", "/api/auth/signup"): "creates an account; returns only the new user",
    ("POST", "/api/auth/login"): "signs in; returns only the user",
    ("POST", "/api/auth/logout"): "ends the session",
    ("POST", "/auth/google/link"): "links a Google account to the signed-in user",
    ("POST", "/api/stripe/webhook"): "signed webhook from Stripe; no image data",
    ("POST", "/api/v1/generations"): "starts the caller's own job; answers with it",
    ("POST", "/api/v1/collections"): "creates the caller's own collection",
    # Edits read their source: someone else's private one is a 404 before anything is
    # charged, tested in tests/api/test_edits_api.py and tests/services/test_editing_input.py.
    ("POST", "/api/v1/edits"): "starts the caller's own edit job; answers with it",
    ("POST", "/api/v1/edits/upload"): "starts the caller's own edit job from an upload",
    ("PUT", "/api/v1/users/{username}/follow"): "following a user reveals nothing private",
    ("DELETE", "/api/v1/users/{username}/follow"): "unfollowing likewise",
    # Issue 15: the caller's own things only (tests/api/test_api_ui_parity.py, test_webhooks.py).
    ("POST", "/api/v1/compare"): "starts the caller's own jobs; answers with them",
    ("POST", "/api/v1/webhooks"): "registers the caller's own endpoint",
    ("POST", "/api/v1/notifications/read"): "marks the caller's own notifications read",
}
# Write bodies that pass validation, so a write probe reaches the visibility check.
WRITE_BODIES: dict[str, dict[str, Any]] = {
    "comments": {"body": "hello there"},
    "collections": {"title": "renamed"},
    "images": {"title": "renamed"},  # PATCH /api/v1/images/{id}
}
# Object routes whose owner answer differs from 200 (default for the owner's own thing).
OWNER_STATUS: dict[str, int] = {
    # Share pages are public by nature: a private image has no public picture for og:image,
    # so its owner gets the same 404 (api/share.py).
    "/share/image/{image_id}": 404,
}


@dataclass(frozen=True)
class Probe:
    url: str
    guarded: bool  # names one of A's private things: B and the visitor must get 404
    owner: int | None  # the status A must get; None: anything but a 5xx


def api_routes(routes: list[BaseRoute], prefix: str = "") -> Iterator[tuple[str, set[str]]]:
    """(path, methods) of every route, through included routers at any depth."""
    for route in routes:
        inner = getattr(route, "original_router", None)
        if inner is not None:
            yield from api_routes(inner.routes, prefix + route.include_context.prefix)  # type: ignore[attr-defined]
        else:
            yield prefix + getattr(route, "path", ""), set(getattr(route, "methods", None) or ())


_PARAM = re.compile(r"\{(\w+)(?::\w+)?\}")


def _param_probes(path: str, name: str, w: World, alice: int) -> list[tuple[str, bool, int | None]]:
    """(value, guarded, owner status) for one path parameter."""
    owner_ok = OWNER_STATUS.get(path, 200)
    if name == "image_id":
        return [(str(i), True, owner_ok) for i in (w.private_image, w.turned_image)]
    if name == "set_id":
        return [(str(i), True, owner_ok) for i in (w.private_set, w.turned_set)]
    if name == "collection_id":
        return [(str(w.private_collection), True, owner_ok)]
    if name == "job_id":
        return [(w.private_job, True, owner_ok)]
    if name == "rest":  # the API's catch-all: an unknown path is a 404 for everyone
        return [("zz/no-such-thing", True, 404)]
    if name == "comment_id":
        return [(str(w.bob_comment), True, owner_ok)]
    if name == "webhook_id":
        return [(str(w.alice_webhook), True, owner_ok)]
    if name == "notification_id":
        return [(str(w.alice_notification), True, owner_ok)]
    if name in ("username", "profile_name"):
        return [(w.alice_name, False, None)]
    if name == "user_id":
        return [(str(alice), False, None)]
    if name == "key":
        storage = get_storage()
        keys = [
            (k, True, 404)
            for k in w.private_keys  # unsigned: nobody, not even A
        ]
        keys += [(k, True, 404) for k in w.old_keys]  # URLs handed out while public: dead
        keys += [(k.removeprefix("private/"), True, 404) for k in w.private_keys]
        for k in w.private_keys:  # A's signed URLs: A only
            query = storage.private_url(k, alice).split("?", 1)[1]
            keys.append((f"{k}?{query}", True, owner_ok))
        return keys
    pytest.fail(
        f"the route {path} has the parameter {{{name}}}, which the privacy matrix cannot "
        f"fill: add it to _param_probes in {HERE}"
    )


def write_body(path: str) -> dict[str, Any] | None:
    for word, body in WRITE_BODIES.items():
        if path.rstrip("}").rsplit("/", 1)[0].endswith(word) or path.endswith(word):
            return body
    return None


def probes_for(path: str, w: World) -> list[Probe]:
    names = _PARAM.findall(path)
    if not names:
        return [
            Probe(path, False, None),
            Probe(f"{path}?q=zqxprivprompt", False, None),
            Probe(f"{path}?q=zqxturnedtitle", False, None),
        ]
    out = []
    for combo in itertools.product(*(_param_probes(path, n, w, w.alice) for n in names)):
        url = path
        for name, (value, _g, _o) in zip(names, combo, strict=True):
            url = _PARAM.sub(lambda m, n=name, v=value: v if m[1] == n else m[0], url)
        guarded = any(g for _v, g, _o in combo)
        owners = {o for _v, _g, o in combo if o is not None}
        out.append(Probe(url, guarded, owners.pop() if len(owners) == 1 else None))
    return out
