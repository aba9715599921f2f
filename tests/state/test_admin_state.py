"""Admin pages and their state handlers: every admin route (from the app's route table) shows
the not-found view to visitors and non-admins, and every handler refuses them (NotFound)
without writing; an admin's actions each write one audit row; the Report dialog's handler
counts one report per reporter. SQLite and PostgreSQL, through the app's own settings."""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from sqlalchemy import func
from sqlmodel import select

from pixel_studio.db import session_scope
from pixel_studio.models import AuditLog, Comment, Image, Report, User
from pixel_studio.services.accounts import auth
from pixel_studio.settings import get_settings
from pixel_studio.state.admin import AdminState
from pixel_studio.state.reports import ReportState
from tests.privacy_probes import _call, _substate, new_tree
from tests.privacy_world import World
from tests.test_privacy_matrix import the_app, world  # noqa: F401  # the fixture

ADMIN_ROUTES = {"admin", "admin/reports", "admin/audit"}


@pytest.fixture
def w(world: World) -> World:  # noqa: F811  # the privacy matrix's world and its cookies
    return world


def _run(cookie: str, path: str, handler: Any, *args: Any) -> Any:
    """One handler on a fresh tab at `path`; the state it acted on."""
    root = new_tree(path, cookie)

    async def go() -> None:
        from pixel_studio.state.auth import AuthState

        await _call(root, AuthState.load_user)
        await _call(root, handler, args)

    with ThreadPoolExecutor(max_workers=1) as pool:
        pool.submit(asyncio.run, go()).result()
    return _substate(root, handler)


def _admin_cookie() -> str:
    with session_scope() as s:
        root = User(username="root", email="root@example.com", is_admin=True)
        s.add(root)
        s.commit()
        token = auth.create_session(s, root.id or 0, get_settings())
        s.commit()
    return f"ps_session={token}"


def _audit_count() -> int:
    with session_scope() as s:
        return int(s.exec(select(func.count()).select_from(AuditLog)).one())


def _snapshot(w: World) -> tuple[Any, ...]:
    with session_scope() as s:
        bob = s.get(User, w.bob)
        assert bob is not None
        return (
            _audit_count(),
            bob.credits,
            bob.suspended_at,
            s.get(Image, w.public_image) is not None,
            s.exec(select(func.count()).select_from(Comment)).one(),
            s.exec(select(Report.status)).all(),
        )


def _actions(w: World, report_id: int) -> list[tuple[Any, dict[str, str]]]:
    bob, image, comment = str(w.bob), str(w.public_image), str(w.bob_comment)
    return [
        (AdminState.change_credits, {"user_id": bob, "amount": "5", "reason": "prize"}),
        (AdminState.set_suspended, {"user_id": bob, "action": "suspend", "reason": "x"}),
        (AdminState.remove_content, {"kind": "image", "item_id": image, "reason": "x"}),
        (AdminState.remove_content, {"kind": "comment", "item_id": comment, "reason": "x"}),
        (
            AdminState.decide_report,
            {"report_id": str(report_id), "decision": "dismiss", "reason": "ok"},
        ),
    ]


def _report(w: World, cookie: str, target: str, target_id: int | str) -> ReportState:
    form = {"target_type": target, "target_id": str(target_id), "reason": "not nice"}
    return _run(cookie, "/image/1", ReportState.submit, form)  # type: ignore[no-any-return]


def test_admin_pages_show_not_found_to_everyone_but_an_admin(w: World) -> None:
    routes = {r: h for r, h in the_app()._load_events.items() if r.startswith("admin")}
    assert set(routes) == ADMIN_ROUTES  # a new admin page must be added here
    admin_cookie = _admin_cookie()
    for route, handlers in routes.items():
        load = [h for h in handlers if h.state is AdminState]
        assert load, route
        for cookie in ("", w.bob_cookie, w.alice_cookie):
            state = _run(cookie, "/" + route, load[0])
            assert (state.loaded, state.allowed) == (True, False), (route, cookie)
            assert state.users == [] and state.reports == [] and state.entries == []
        state = _run(admin_cookie, "/" + route, load[0])
        assert (state.loaded, state.allowed) == (True, True), route
    users = _run(admin_cookie, "/admin", AdminState.load_users)
    assert {u.username for u in users.users} >= {"alice", "bob", "root"}


def test_admin_handlers_refuse_others_and_write_nothing_then_audit_each_action(w: World) -> None:
    _report(w, w.bob_cookie, "image", w.public_image)
    with session_scope() as s:
        report_id = s.exec(select(Report.id)).one() or 0
    before = _snapshot(w)
    for cookie in ("", w.alice_cookie):
        for handler, form in _actions(w, report_id):
            state = _run(cookie, "/admin", handler, form)
            assert not state.allowed and state.message == "", handler
            assert _snapshot(w) == before, handler
    admin_cookie = _admin_cookie()
    for handler, form in _actions(w, report_id):
        count = _audit_count()
        state = _run(admin_cookie, "/admin", handler, form)
        assert state.allowed and state.error == "" and state.message, (handler, state.error)
        assert _audit_count() == count + 1, handler
    audit = _run(admin_cookie, "/admin/audit", AdminState.load_audit)
    assert [e.action for e in audit.entries] == [
        "report.dismiss",
        "comment.remove",
        "image.remove",
        "user.suspend",
        "credits.grant",
    ]
    form = {"user_id": str(w.alice), "amount": "-999", "reason": "too many"}
    refused = _run(admin_cookie, "/admin", AdminState.change_credits, form)
    assert "never goes below zero" in refused.error and _audit_count() == 5
    gone = {"kind": "image", "item_id": "999999", "reason": "x"}  # a missing item: a message
    missing = _run(admin_cookie, "/admin/reports", AdminState.remove_content, gone)
    assert missing.allowed and missing.error == "That image does not exist."


def test_the_report_dialog_counts_once_per_reporter(w: World) -> None:
    from pixel_studio.services.moderation import reports

    assert _report(w, w.bob_cookie, "user", w.alice_name).error == ""
    assert _report(w, w.bob_cookie, "user", w.alice_name).error == ""
    assert _report(w, w.bob_cookie, "image", w.private_image).error  # cannot see it
    assert _report(w, "", "image", w.public_image).error == ""  # a visitor: log in first
    with session_scope() as s:
        assert s.exec(select(func.count()).select_from(Report)).one() == 1
    assert reports.ALREADY_REPORTED  # the second answer above (a toast)
