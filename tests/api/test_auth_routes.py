"""HTTP sign-in routes: sign-up, log-in, cookies, CSRF, rate limits, /me and log-out; on SQLite
and PostgreSQL (the ticket exchange: test_auth_tickets.py)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import update
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from pixel_studio.api.deps import CSRF_HEADER, SESSION_COOKIE
from pixel_studio.db import utcnow
from pixel_studio.models import CreditKind, CreditTransaction, User, UserSession
from pixel_studio.services.accounts import auth
from pixel_studio.settings import Settings
from tests.api.auth_route_helpers import (  # noqa: F401  (auth_client, auth_events: fixtures)
    PASSWORD,
    auth_client,
    auth_events,
    login,
    signup,
    use_cookie,
)


def test_signup_sets_a_safe_cookie_and_gives_five_credits(client: TestClient, db: Engine) -> None:
    resp = client.post(
        "/api/auth/signup",
        json={"username": "Alice", "email": "Alice@Example.com", "password": PASSWORD},
    )
    assert resp.status_code == 201, resp.text
    body = resp.json()
    assert body["username"] == "alice" and body["credits"] == 5 and not body["is_admin"]
    assert body["csrf_token"]
    cookie = resp.headers["set-cookie"]
    assert cookie.startswith(f"{SESSION_COOKIE}=")
    lowered = cookie.lower()
    assert "httponly" in lowered
    assert "samesite=lax" in lowered
    assert "path=/" in lowered
    assert "secure" not in lowered  # the test site is http; Secure comes with https
    token = resp.cookies[SESSION_COOKIE]
    with Session(db) as s:
        # Only the hash is stored, never the token itself.
        row = s.exec(select(UserSession)).one()
        assert row.token_hash == auth.hash_token(token) and token not in row.token_hash
        ledger = s.exec(select(CreditTransaction)).all()
        assert [(t.kind, t.amount) for t in ledger] == [(CreditKind.bonus, 5)]
    assert client.get("/api/auth/me").json()["username"] == "alice"


def test_session_is_committed_before_the_response_leaves(
    client: TestClient, events: list[str]
) -> None:
    """The browser follows the cookie at once: its session must already be in the database."""
    signup(client)
    assert events == ["commit", "response"]


def test_signup_refuses_taken_names_and_weak_passwords(client: TestClient, db: Engine) -> None:
    signup(client)
    client.cookies.clear()
    taken = client.post(
        "/api/auth/signup",
        json={"username": "ALICE", "email": "other@example.com", "password": PASSWORD},
    )
    assert taken.status_code == 409
    assert taken.json() == {"detail": "That username is taken.", "field": "username"}
    assert "set-cookie" not in taken.headers
    email_taken = client.post(
        "/api/auth/signup",
        json={"username": "other", "email": "alice@example.com", "password": PASSWORD},
    )
    assert email_taken.status_code == 409 and email_taken.json()["field"] == "email"
    weak = client.post(
        "/api/auth/signup",
        json={"username": "bob", "email": "bob@example.com", "password": "short"},
    )
    assert weak.status_code == 400
    assert weak.json()["field"] == "password"
    assert "at least 8" in weak.json()["detail"]
    with Session(db) as s:
        assert [u.username for u in s.exec(select(User)).all()] == ["alice"]


def test_login_by_username_and_by_email(client: TestClient) -> None:
    signup(client)
    client.cookies.clear()
    by_name = login(client, "Alice")
    assert by_name.status_code == 200 and by_name.json()["username"] == "alice"
    assert by_name.cookies.get(SESSION_COOKIE)
    client.cookies.clear()
    by_email = login(client, "ALICE@example.com")
    assert by_email.status_code == 200
    # A fresh token at every login, never a reused one.
    assert by_email.cookies[SESSION_COOKIE] != by_name.cookies[SESSION_COOKIE]


def test_wrong_password_and_unknown_user_get_the_same_message(client: TestClient) -> None:
    signup(client)
    client.cookies.clear()
    wrong = login(client, "alice", "not my password")
    unknown = login(client, "nobody", PASSWORD)
    for resp in (wrong, unknown):
        assert resp.status_code == 401
        assert resp.json() == {"detail": auth.WRONG_CREDENTIALS, "field": "password"}
        assert "set-cookie" not in resp.headers


def test_login_rate_limit_answers_429_with_retry_after(client: TestClient) -> None:
    signup(client)
    client.cookies.clear()
    for _ in range(10):
        assert login(client, "alice", "not my password").status_code == 401
    limited = login(client, "alice", PASSWORD)  # even the right password waits
    assert limited.status_code == 429
    assert 0 < int(limited.headers["retry-after"]) <= 15 * 60
    assert "Too many sign-in attempts" in limited.json()["detail"]
    assert "set-cookie" not in limited.headers


def test_me_accepts_only_a_live_session(client: TestClient, db: Engine) -> None:
    signup(client)
    token = client.cookies[SESSION_COOKIE]
    assert client.get("/api/auth/me").status_code == 200

    client.cookies.clear()
    assert client.get("/api/auth/me").status_code == 401  # no cookie

    use_cookie(client, "forged-" + token[7:])
    assert client.get("/api/auth/me").status_code == 401  # forged

    with db.begin() as conn:
        conn.execute(
            update(UserSession)
            .where(col(UserSession.token_hash) == auth.hash_token(token))
            .values(expires_at=utcnow() - timedelta(seconds=1))
        )
    use_cookie(client, token)
    assert client.get("/api/auth/me").status_code == 401  # expired


def test_me_refuses_a_revoked_session(client: TestClient, db: Engine) -> None:
    signup(client)
    token = client.cookies[SESSION_COOKIE]
    with Session(db) as s:
        assert auth.revoke(s, token)
        s.commit()
    use_cookie(client, token)
    assert client.get("/api/auth/me").status_code == 401


def test_logout_needs_the_csrf_header_then_revokes(client: TestClient) -> None:
    body = signup(client)
    token = client.cookies[SESSION_COOKIE]

    assert client.post("/api/auth/logout").status_code == 403
    assert client.post("/api/auth/logout", headers={CSRF_HEADER: "wrong"}).status_code == 403
    assert client.get("/api/auth/me").status_code == 200  # still signed in

    out = client.post("/api/auth/logout", headers={CSRF_HEADER: body["csrf_token"]})
    assert out.status_code == 204
    assert out.content == b""  # a 204 carries no body, or HTTP servers reject the response
    assert f'{SESSION_COOKIE}=""' in out.headers["set-cookie"] or "max-age=0" in (
        out.headers["set-cookie"].lower()
    )
    assert client.get("/api/auth/me").status_code == 401
    # Replaying the old cookie does not help: the session is revoked on the server.
    use_cookie(client, token)
    assert client.get("/api/auth/me").status_code == 401


def test_logout_without_a_session_is_401(client: TestClient) -> None:
    assert client.post("/api/auth/logout", headers={CSRF_HEADER: "x"}).status_code == 401


def test_signups_are_limited_per_ip(client: TestClient, db: Engine) -> None:
    for i in range(5):
        signup(client, f"user{i}", f"user{i}@example.com")
        client.cookies.clear()
    # A refused sign-up does not use up the allowance; it is answered as before.
    taken = client.post(
        "/api/auth/signup",
        json={"username": "user0", "email": "x@example.com", "password": PASSWORD},
    )
    assert taken.status_code == 409
    limited = client.post(
        "/api/auth/signup",
        json={"username": "user5", "email": "user5@example.com", "password": PASSWORD},
    )
    assert limited.status_code == 429
    assert 0 < int(limited.headers["retry-after"]) <= 3600
    assert limited.json()["detail"].startswith("Too many sign-ups")
    assert "set-cookie" not in limited.headers
    with Session(db) as s:
        assert len(s.exec(select(User)).all()) == 5


def test_nul_bytes_are_field_errors_not_500(client: TestClient) -> None:
    bad_login = login(client, "alice@exa\x00mple.com")
    assert bad_login.status_code == 400 and bad_login.json()["field"] == "login"
    bad_signup = client.post(
        "/api/auth/signup",
        json={"username": "nul", "email": "n\x00l@example.com", "password": PASSWORD},
    )
    assert bad_signup.status_code == 400 and bad_signup.json()["field"] == "email"


def test_signed_out_keeps_a_live_cookie_and_clears_a_revoked_one(
    client: TestClient, db: Engine
) -> None:
    signup(client)
    token = client.cookies[SESSION_COOKIE]

    live = client.get("/auth/signed-out")
    assert live.status_code == 303 and live.headers["location"] == "/"
    assert "set-cookie" not in live.headers  # a link cannot sign anyone out
    assert client.get("/api/auth/me").status_code == 200

    with Session(db) as s:
        auth.revoke(s, token)
        s.commit()
    revoked = client.get("/auth/signed-out")
    assert revoked.status_code == 303
    cleared = revoked.headers["set-cookie"].lower()
    assert cleared.startswith(f"{SESSION_COOKIE}=") and "max-age=0" in cleared
    assert SESSION_COOKIE not in client.cookies


def test_api_signup_mails_a_verification_link_after_commit(
    client: TestClient, settings: Settings
) -> None:
    from pixel_studio import mail
    from tests.mail.outbox_reader import link_in, wait_for_mail

    resp = client.post(
        "/api/auth/signup",
        json={"username": "vera", "email": "vera@example.com", "password": "longenough"},
    )
    assert resp.status_code == 201
    message = wait_for_mail(settings.outbox_dir, "vera@example.com", "Confirm")
    assert link_in(message, "/verify").startswith(settings.site_url.rstrip("/") + "/verify?token=")
    refused = client.post(
        "/api/auth/signup",
        json={"username": "vera2", "email": "vera@example.com", "password": "longenough"},
    )
    assert refused.status_code == 409
    mail.wait_idle(10)
    assert len(list(settings.outbox_dir.glob("*.eml"))) == 1  # a refused sign-up mails nothing


@pytest.mark.parametrize("body", ["[Infinity]", '{"username": NaN, "password": "x"}'])
@pytest.mark.parametrize("route", ["/api/auth/login", "/api/auth/signup"])
def test_json_that_json_cannot_echo_is_a_422(client: TestClient, route: str, body: str) -> None:
    """Found by the auth fuzz test: FastAPI's default 422 echoes the input, and an infinity
    cannot be written as JSON, so the answer was a 500. The 422 echoes no input at all."""
    resp = client.post(route, content=body, headers={"Content-Type": "application/json"})
    assert resp.status_code == 422
    assert "input" not in resp.text and resp.json()["detail"]
