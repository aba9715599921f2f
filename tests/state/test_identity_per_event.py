"""Identity per event (issue 13, item 5) and the sessions list (item 4), on the state trees the
socket builds: `IdentityMiddleware` runs before every handler with the router data of the
socket that sent the event, and the sessions panel lists, signs out one, or every session."""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from reflex.state import BaseState, RouterData
from reflex_base.event import Event
from sqlmodel import select

from pixel_studio.cache import get_cache
from pixel_studio.db import session_scope
from pixel_studio.models import UserSession
from pixel_studio.services.accounts import api_tokens, auth
from pixel_studio.services.social import collections
from pixel_studio.state.auth import app_states, plugin_state_modules
from pixel_studio.state.collections import CollectionsState
from pixel_studio.state.identity import IdentityMiddleware
from pixel_studio.state.sessions_list import SessionsState
from tests.state.test_account_state import (  # noqa: F401 - app_db is a fixture
    app_db,
    make_state,
    new_user,
    run,
    script_of,
    shell_of,
    signed_in_cookie,
    signed_in_state,
)

CHROME = (
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.0.0 Safari/537.36"
)


def before_event(state: BaseState) -> None:
    """What the event processor does before each handler: the app's middleware."""
    root = state._get_root_state()
    event = Event(name="any.handler", payload={})

    async def go() -> None:
        await IdentityMiddleware().preprocess(app=None, state=root, event=event)  # type: ignore[arg-type]

    with ThreadPoolExecutor(max_workers=1) as pool:
        pool.submit(asyncio.run, go()).result()


def new_socket(
    state: BaseState, cookie: str, ip: str = "203.0.113.9", path: str = "/collections"
) -> None:
    """The tab's token replayed from another socket: its headers and address replace the
    previous ones in the state's router data, as Reflex merges them for each event."""
    root = state._get_root_state()
    data = dict(root.router_data or {})
    data.update(
        {
            "headers": {"origin": "http://localhost:3000", "cookie": cookie},
            "ip": ip,
            "asPath": path,
            "pathname": path,
            "token": "tab",
        }
    )
    root.router = RouterData.from_router_data(data)


def private_collection(user_id: int, title: str) -> None:
    with session_scope() as s:
        collections.create_collection(s, get_cache(), user_id, title, private=True)


def loaded_tab(cookie: str) -> CollectionsState:
    state = signed_in_state(CollectionsState, cookie, "/collections")
    before_event(state)
    run(CollectionsState.load, state)
    return state


def test_every_app_state_is_found() -> None:
    import pixel_studio.pixel_studio  # noqa: F401 - the app: every page and its states

    names = {cls.__name__ for cls in app_states()}
    assert len(names) >= 25
    assert {"AuthState", "CollectionsState", "SessionsState", "ApiTokensState"} <= names
    plugins = plugin_state_modules()  # installed page plugins' states (examples/ under make test)
    assert all(
        cls.__module__.startswith("pixel_studio.") or cls.__module__ in plugins
        for cls in app_states()
    )


def test_a_socket_without_the_cookie_inherits_nothing(app_db: Path) -> None:  # noqa: F811
    user = new_user("adaa")
    assert user.id is not None
    private_collection(user.id, "ada's secret plans")
    state = loaded_tab(signed_in_cookie(user))
    assert [c.title for c in state.cards] == ["ada's secret plans"]
    assert shell_of(state)._user_id == user.id

    new_socket(state, cookie="")  # the same tab token, a socket with no cookie
    before_event(state)
    shell = shell_of(state)
    assert (shell._user_id, shell.signed_in, shell.username) == (None, False, "")
    assert state.cards == [] and state._user_id is None  # reset before any handler ran
    run(CollectionsState.load, state)  # and the page's loader, asked for directly, reads nothing
    assert state.cards == []


def test_a_revoked_session_is_seen_at_the_next_event(app_db: Path) -> None:  # noqa: F811
    user = new_user("bob")
    assert user.id is not None
    private_collection(user.id, "bo's drafts")
    cookie = signed_in_cookie(user)
    state = loaded_tab(cookie)
    assert state.cards
    with session_scope() as s:
        auth.revoke_all(s, user.id)
    before_event(state)  # same socket, same cookie: the session behind it has ended
    assert shell_of(state)._user_id is None and state.cards == []


def test_another_users_cookie_resets_the_tab(app_db: Path) -> None:  # noqa: F811
    cy, di = new_user("cyd"), new_user("dil")
    assert cy.id is not None and di.id is not None
    private_collection(cy.id, "cy's private album")
    state = loaded_tab(signed_in_cookie(cy))
    new_socket(state, cookie=signed_in_cookie(di))
    before_event(state)
    assert shell_of(state)._user_id == di.id
    assert state.cards == []
    run(CollectionsState.load, state)
    assert state.cards == []  # di has no collections: cy's are not shown


def test_a_visitor_signing_in_keeps_nothing_to_reset_and_is_seen(app_db: Path) -> None:  # noqa: F811
    user = new_user("eddy")
    state = make_state(CollectionsState, path="/collections", token="tab")
    before_event(state)
    assert shell_of(state)._user_id is None
    cookie = signed_in_cookie(user)
    new_socket(state, cookie=cookie, ip="198.51.100.20")
    before_event(state)
    assert shell_of(state)._user_id == user.id
    with session_scope() as s:
        row = s.exec(select(UserSession).where(UserSession.user_id == user.id)).one()
        assert row.last_seen_at is not None and row.network == "198.51.100.0/24"


def set_user_agent(token_cookie: str, agent: str) -> None:
    token = token_cookie.split("ps_session=", 1)[1]
    with session_scope() as s:
        row = s.exec(
            select(UserSession).where(UserSession.token_hash == auth.hash_token(token))
        ).one()
        row.user_agent = agent
        s.add(row)


def test_sessions_list_signs_one_out(app_db: Path) -> None:  # noqa: F811
    user = new_user("faye")
    assert user.id is not None
    laptop, phone = signed_in_cookie(user), signed_in_cookie(user)
    set_user_agent(laptop, CHROME)
    here = signed_in_state(SessionsState, laptop, "/settings")
    there = loaded_tab(phone)
    run(SessionsState.load, here)
    assert [(r.browser, r.current) for r in here.rows] == [
        ("Chrome 131 on Linux", True),
        ("Unknown browser", False),
    ]

    result = run(SessionsState.sign_out_session, here, here.rows[1].id)
    assert "Signed out" in str(result)
    assert [r.current for r in here.rows] == [True]
    before_event(there)  # the phone's next event: signed out, its page emptied
    assert shell_of(there)._user_id is None and there.cards == []

    assert "already ended" in str(run(SessionsState.sign_out_session, here, 10**6))
    assert "already ended" in str(run(SessionsState.sign_out_session, here, "1"))


def test_signing_out_this_device_from_the_list_logs_out_here(app_db: Path) -> None:  # noqa: F811
    user = new_user("gust")
    here = signed_in_state(SessionsState, signed_in_cookie(user), "/settings")
    run(SessionsState.load, here)
    result = run(SessionsState.sign_out_session, here, here.rows[0].id)
    assert script_of(result) == 'window.location.assign("/auth/signed-out")'
    assert shell_of(here)._user_id is None and here.rows == []


def tokens_of(user_id: int) -> int:
    with session_scope() as s:
        return len(api_tokens.list_tokens(s, user_id))


def test_sign_out_everywhere_takes_the_tokens_unless_unticked(app_db: Path) -> None:  # noqa: F811
    for name, also_tokens, left in (("hale", True, 0), ("ivey", False, 1)):
        user = new_user(name)
        assert user.id is not None
        with session_scope() as s:
            api_tokens.create_token(s, user.id, "script")
        here = signed_in_state(SessionsState, signed_in_cookie(user), "/settings")
        run(SessionsState.load, here)
        assert here.also_tokens  # ticked by default
        run(SessionsState.set_also_tokens, here, also_tokens)
        result = run(SessionsState.sign_out_everywhere, here)
        assert script_of(result) == 'window.location.assign("/auth/signed-out")'
        assert tokens_of(user.id) == left
        with session_scope() as s:
            rows = s.exec(select(UserSession).where(UserSession.user_id == user.id)).all()
            assert rows and all(r.revoked_at is not None for r in rows)
