"""Admin services: only admins (everyone else: NotFound, nothing written), one audit row per
action, suspension (no sign-in by any route, content hidden through the visibility rule and
the caches), content removal, the reports queue. SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import func
from sqlmodel import Session, col, select

from pixel_studio.cache import MemoryCache
from pixel_studio.db import utcnow
from pixel_studio.models import AuditLog, Comment, CreditTransaction, Image, Report, User
from pixel_studio.services.accounts import api_tokens, auth, oauth
from pixel_studio.services.errors import (
    AuthFailed,
    Conflict,
    InsufficientCredits,
    InvalidInput,
    NotFound,
)
from pixel_studio.services.moderation import admin, audit, reports
from pixel_studio.services.social import comments, feed, follows, profiles
from pixel_studio.services.social.explore import ExploreQuery, explore
from pixel_studio.services.studio import image_detail
from pixel_studio.settings import Settings
from pixel_studio.storage.local import LocalStorage
from tests.services.generation_helpers import balance, make_user
from tests.services.social_helpers import make_image


def _admin(session: Session, name: str = "root") -> int:
    uid = make_user(session, name, 0)
    user = session.get(User, uid)
    assert user is not None
    user.is_admin = True
    session.commit()
    return uid


def _audit_rows(session: Session) -> list[AuditLog]:
    return list(session.exec(select(AuditLog).order_by(col(AuditLog.id))))


def _count(session: Session, model: Any) -> int:
    return int(session.exec(select(func.count()).select_from(model)).one())


def _explore_ids(session: Session, cache: MemoryCache) -> list[int]:
    return [c.id for c in explore(session, cache, ExploreQuery()).items]


def _actions(
    session: Session, cache: MemoryCache, storage: LocalStorage, ids: dict[str, int]
) -> dict[str, Callable[[int | None], object]]:
    """Every admin service function, bound to its arguments but not to the actor."""
    return {
        "search": lambda a: admin.search_users(session, a, "bo"),
        "grant": lambda a: admin.change_credits(session, a, ids["bob"], 5, "prize"),
        "suspend": lambda a: admin.set_suspended(session, cache, a, ids["bob"], True, "spam"),
        "restore": lambda a: admin.set_suspended(session, cache, a, ids["bob"], False, "ok"),
        "remove_image": lambda a: admin.remove_image(
            session, storage, cache, a, ids["image"], "rule 1"
        ),
        "remove_comment": lambda a: admin.remove_comment(
            session, cache, a, ids["comment"], "rule 2"
        ),
        "reports": lambda a: reports.list_reports(session, a),
        "dismiss": lambda a: reports.dismiss_report(session, a, ids["report"], "fine"),
        "resolve": lambda a: reports.resolve_report(
            session, storage, cache, a, ids["report"], "gone"
        ),
        "audit": lambda a: admin.audit_log(session, a),
    }


def _world(session: Session, cache: MemoryCache) -> dict[str, int]:
    ids = {"root": _admin(session), "bob": make_user(session, "bob", 3)}
    ids["carl"] = make_user(session, "carl", 0)
    ids["image"] = make_image(session, ids["bob"], prompt="a heron")
    ids["comment"] = comments.add_comment(session, cache, ids["carl"], ids["image"], "hi").id
    reports.report(session, cache, ids["carl"], "image", ids["image"], "offensive")
    ids["report"] = session.exec(select(Report.id)).one() or 0
    return ids


@pytest.mark.parametrize("who", ["visitor", "user"])
def test_everyone_but_an_admin_gets_not_found_and_nothing_is_written(
    session: Session, storage: LocalStorage, who: str
) -> None:
    cache = MemoryCache()
    ids = _world(session, cache)
    actor = None if who == "visitor" else ids["carl"]
    before = (_count(session, AuditLog), balance(session, ids["bob"]))
    for name, call in _actions(session, cache, storage, ids).items():
        with pytest.raises(NotFound):
            call(actor)
        session.rollback()
        assert (_count(session, AuditLog), balance(session, ids["bob"])) == before, name
    assert session.get(Image, ids["image"]) is not None
    comment = session.get(Comment, ids["comment"], populate_existing=True)
    assert comment is not None and not comment.deleted
    bob = session.get(User, ids["bob"], populate_existing=True)
    assert bob is not None and bob.suspended_at is None
    assert session.exec(select(Report.status)).one() == "open"


def test_every_admin_action_writes_exactly_one_audit_row(
    session: Session, storage: LocalStorage
) -> None:
    cache = MemoryCache()
    ids = _world(session, cache)
    root = ids["root"]
    s, bob, a, c, im = session, ids["bob"], admin, ids["comment"], ids["image"]
    steps: list[tuple[Callable[[], object], str, str]] = [
        (lambda: a.change_credits(s, root, bob, 7, "prize"), "credits.grant", "user"),
        (lambda: a.change_credits(s, root, bob, -2, "oops"), "credits.remove", "user"),
        (lambda: a.set_suspended(s, cache, root, bob, True, "spam"), "user.suspend", "user"),
        (lambda: a.set_suspended(s, cache, root, bob, False, "ok"), "user.restore", "user"),
        (
            lambda: a.remove_comment(s, cache, root, c, "x"),
            "comment.remove",
            "comment",
        ),
        (
            lambda: reports.dismiss_report(s, root, ids["report"], "fine"),
            "report.dismiss",
            "report",
        ),
        (
            lambda: a.remove_image(s, storage, cache, root, im, "x"),
            "image.remove",
            "image",
        ),
    ]
    for step, action, target in steps:
        n = _count(session, AuditLog)
        step()
        rows = _audit_rows(session)
        assert len(rows) == n + 1, action
        assert (rows[-1].action, rows[-1].target_type, rows[-1].actor_id) == (action, target, root)
        assert rows[-1].reason
    assert balance(session, ids["bob"]) == 3 + 7 - 2
    admin_rows = session.exec(
        select(CreditTransaction.amount).where(CreditTransaction.kind == "admin")
    ).all()
    assert sorted(admin_rows) == [-2, 7]
    assert session.get(Image, ids["image"]) is None
    # The log page lists them, newest first, in keyset pages.
    first = admin.audit_log(session, root, limit=4)
    assert [e.action for e in first.items][:1] == ["image.remove"]
    assert first.next_before is not None
    rest = admin.audit_log(session, root, before=first.next_before, limit=50)
    assert len(first.items) + len(rest.items) == 7 and rest.next_before is None
    assert first.items[0].actor == "root"
    # No way to change the log from the services: append-only.
    assert not [n for n in dir(audit) if n.startswith(("update", "delete", "remove", "edit"))]


def test_a_refused_action_writes_no_audit_row(session: Session, storage: LocalStorage) -> None:
    cache = MemoryCache()
    ids = _world(session, cache)
    root = ids["root"]
    with pytest.raises(InsufficientCredits):
        admin.change_credits(session, root, ids["bob"], -4, "too many")
    with pytest.raises(InvalidInput):
        admin.change_credits(session, root, ids["bob"], 4, "  ")  # a reason is required
    with pytest.raises(InvalidInput):
        admin.set_suspended(session, cache, root, root, True, "me")
    with pytest.raises(Conflict):
        admin.set_suspended(session, cache, root, ids["bob"], False, "not suspended")
    with pytest.raises(NotFound):
        admin.remove_image(session, storage, cache, root, 10_000, "missing")
    assert _count(session, AuditLog) == 0 and balance(session, ids["bob"]) == 3


def test_search_users_by_name_or_email_with_keyset_pages(session: Session) -> None:
    root = _admin(session)
    for name in ("anna", "annie", "bert", "hannah"):
        make_user(session, name, 0)
    found = admin.search_users(session, root, "ANN")
    assert [u.username for u in found.items] == ["hannah", "annie", "anna"]
    assert admin.search_users(session, root, "bert@example").items[0].username == "bert"
    assert admin.search_users(session, root, "%").items == []  # a wildcard is a character
    page = admin.search_users(session, root, "", limit=2)
    rest = admin.search_users(session, root, "", before=page.next_before, limit=10)
    assert len(page.items) + len(rest.items) == 5 and rest.next_before is None


def test_a_suspended_user_cannot_sign_in_and_their_content_disappears(
    session: Session, settings: Settings
) -> None:
    cache = MemoryCache()
    root = _admin(session)
    bob = make_user(session, "bob", 0)
    eve = make_user(session, "eve", 0)
    image = make_image(session, bob, prompt="a heron")
    note = comments.add_comment(session, cache, bob, image, "my heron").id
    follows.follow(session, cache, eve, bob)
    cookie = auth.create_session(session, bob, settings)
    token = api_tokens.create_token(session, bob, "cli").secret
    session.commit()
    # Warm every cached read first: suspension must invalidate them.
    assert _explore_ids(session, cache) == [image]
    assert [c.id for c in profiles.profile_images(session, cache, eve, "bob").items] == [image]
    assert image_detail.get_image_detail(session, cache, eve, image).image.id == image
    assert [c.id for c in feed.following_feed(session, cache, eve).items] == [image]

    admin.set_suspended(session, cache, root, bob, True, "spam")

    with pytest.raises(AuthFailed, match="suspended"):
        auth.authenticate(session, cache, settings, "bob", "longenough", "10.0.0.1")
    with pytest.raises(AuthFailed):  # a wrong password says nothing about the suspension
        auth.authenticate(session, cache, settings, "bob", "wrong-password", "10.0.0.1")
    assert auth.user_for_token(session, cookie) is None
    assert auth.session_user_id(session, cookie) is None
    assert api_tokens.user_for_api_token(session, token) is None
    assert _explore_ids(session, cache) == []
    with pytest.raises(NotFound):
        profiles.get_profile(session, cache, eve, "bob")
    with pytest.raises(NotFound):
        image_detail.get_image_detail(session, cache, eve, image)
    with pytest.raises(NotFound):
        image_detail.get_image_detail(session, cache, None, image)
    assert feed.following_feed(session, cache, eve).items == []
    with pytest.raises(NotFound):  # no comment under it either
        comments.list_comments(session, eve, image)

    admin.set_suspended(session, cache, root, bob, False, "appeal accepted")
    assert _explore_ids(session, cache) == [image]
    assert image_detail.get_image_detail(session, cache, eve, image).image.id == image
    assert profiles.get_profile(session, cache, eve, "bob").username == "bob"
    tree = comments.list_comments(session, eve, image)
    assert [(c.id, c.body) for c in tree.flat] == [(note, "my heron")]
    assert auth.authenticate(session, cache, settings, "bob", "longenough", "10.0.0.1").id == bob
    assert auth.session_user_id(session, cookie) is None  # suspension revoked the sessions


def test_a_session_check_refuses_a_suspension_it_was_not_told_about(
    session: Session, settings: Settings
) -> None:
    """Even a session not revoked (set straight in the database) stops at the next check."""
    bob = make_user(session, "bob", 0)
    cookie = auth.create_session(session, bob, settings)
    token = api_tokens.create_token(session, bob, "cli").secret
    session.commit()
    assert auth.session_user_id(session, cookie) == bob
    user = session.get(User, bob)
    assert user is not None
    user.suspended_at = utcnow()
    session.commit()
    assert auth.session_user_id(session, cookie) is None
    assert auth.user_for_token(session, cookie) is None
    assert api_tokens.user_for_api_token(session, token) is None
    oauth.connect_oauth(session, bob, "google", "sub-1", "bob@example.com")
    session.commit()
    with pytest.raises(AuthFailed, match="suspended"):  # Google sign-in refuses it as well
        oauth.sign_in_with_oauth(session, settings, "google", "sub-1", None, False, "bob")


def test_a_suspended_authors_comment_reads_as_deleted_elsewhere(session: Session) -> None:
    cache = MemoryCache()
    root = _admin(session)
    bob, eve = make_user(session, "bob", 0), make_user(session, "eve", 0)
    image = make_image(session, eve)
    mine = comments.add_comment(session, cache, bob, image, "spam spam").id
    reply = comments.add_comment(session, cache, eve, image, "hm", parent_id=mine).id
    admin.set_suspended(session, cache, root, bob, True, "spam")
    flat = comments.list_comments(session, eve, image).flat
    assert [(c.id, c.deleted, c.body, c.username) for c in flat] == [
        (mine, True, "", None),
        (reply, False, "hm", "eve"),
    ]


def test_resolving_a_report_removes_the_item_and_closes_its_other_reports(
    session: Session, storage: LocalStorage
) -> None:
    cache = MemoryCache()
    ids = _world(session, cache)
    dan = make_user(session, "dan", 0)
    assert reports.report(session, cache, dan, "image", ids["image"], "also bad")
    queue = reports.list_reports(session, ids["root"])
    assert [(r.target_type, r.target_label) for r in queue.items] == [("image", "a heron")] * 2
    reports.resolve_report(session, storage, cache, ids["root"], ids["report"], "removed")
    assert session.get(Image, ids["image"]) is None
    assert reports.list_reports(session, ids["root"]).items == []
    assert len(reports.list_reports(session, ids["root"], status="resolved").items) == 2
    with pytest.raises(Conflict):
        reports.dismiss_report(session, ids["root"], ids["report"], "again")
    rows = _audit_rows(session)
    assert [(r.action, r.details["target_type"]) for r in rows] == [("report.resolve", "image")]
