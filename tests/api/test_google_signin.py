"""Google sign-in end to end: authlib against a real OpenID provider on loopback."""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from fastapi.testclient import TestClient
from oidc_provider_mock import run_server_in_thread
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from pixel_studio.api import create_api
from pixel_studio.api.deps import SESSION_COOKIE, db_session
from pixel_studio.db import utcnow
from pixel_studio.models import OAuthAccount, User
from pixel_studio.services import users
from pixel_studio.services.accounts import api_tokens, auth, oauth
from pixel_studio.settings import Settings, get_settings

SAME = {"sec-fetch-site": "same-origin"}  # a request from one of our own pages
CROSS = {"sec-fetch-site": "cross-site"}


@pytest.fixture(scope="module")
def provider() -> Iterator[str]:
    with run_server_in_thread(port=0, require_nonce=True) as server:
        yield f"http://127.0.0.1:{server.server_port}"


@pytest.fixture
def client(db: Engine, settings: Settings, provider: str) -> Iterator[TestClient]:
    google_settings = settings.model_copy(
        update={
            "google_client_id": "pixel-studio",
            "google_client_secret": "s3cret",
            "google_discovery_url": f"{provider}/.well-known/openid-configuration",
            "site_url": "http://testserver",
            # Every sign-up here comes from one test client: Google sign-ups count against
            # the per-network limit (tests/api/test_google_signup_limit.py tests it).
            "signups_per_window": 1000,
        }
    )

    def session_override() -> Iterator[Session]:
        with Session(db, expire_on_commit=False) as s:
            yield s
            s.commit()

    api = create_api()
    api.dependency_overrides[get_settings] = lambda: google_settings
    api.dependency_overrides[db_session] = session_override
    with TestClient(api, follow_redirects=False) as c:
        yield c


# The calls below go to the OIDC peer, plain http on loopback, where no certificate is ever
# checked: verify=False only spares each call httpx's default SSL context, which loads the CA
# bundle anew every time (~30-70 ms of CPU a call, 44 calls in this file).
def register(provider: str, sub: str, **claims: object) -> None:
    httpx.put(f"{provider}/users/{sub}", json=claims, verify=False).raise_for_status()


def authorize(
    client: TestClient, sub: str, action: str | None = None, start: str = "/auth/google/login"
) -> str:
    """Start sign-in, let the provider approve `sub`; returns our callback path with query."""
    begun = client.get(start, headers=SAME)
    assert begun.status_code in (302, 303), begun.text
    location = begun.headers["location"]
    query = parse_qs(urlsplit(location).query)
    assert query["state"] and query["nonce"], "authlib must send state and nonce"
    form = {"action": action} if action else {"sub": sub}
    approved = httpx.post(location, data=form, verify=False)
    assert approved.status_code == 302
    callback = urlsplit(approved.headers["location"])
    assert callback.path == "/auth/google/callback"
    return f"{callback.path}?{callback.query}"


def test_new_user_then_linked_sign_in(client: TestClient, provider: str, db: Engine) -> None:
    register(provider, "g-100", email="Grace@Example.com", email_verified=True, name="Grace H")
    done = client.get(authorize(client, "g-100"))
    assert done.status_code == 303 and done.headers["location"] == "/home"
    token = done.cookies.get(SESSION_COOKIE)
    assert token
    set_cookie = done.headers["set-cookie"].lower()
    assert "httponly" in set_cookie and "samesite=lax" in set_cookie
    with Session(db) as s:
        user = auth.user_for_token(s, token)
        assert user is not None and user.username == "graceh" and user.credits == 5

    client.cookies.clear()
    again = client.get(authorize(client, "g-100"))
    assert again.status_code == 303
    with Session(db) as s:
        assert len(s.exec(select(User)).all()) == 1
        assert len(s.exec(select(OAuthAccount)).all()) == 1


def test_google_email_of_a_password_account_needs_its_password(
    client: TestClient, provider: str, db: Engine
) -> None:
    """A local sign-up never proved its email: Google's same email alone must not open it."""
    with Session(db) as s:
        henry = users.create_user(s, "henry", "henry@example.com", "longenough", bonus=5)
        henry.email_verified_at = utcnow()  # proven: Google must not take it over
        s.commit()
    register(provider, "g-200", email="henry@example.com", email_verified=True, name="H")
    asked = client.get(authorize(client, "g-200"))
    assert asked.status_code == 303 and asked.headers["location"] == "/auth/google/link"
    assert SESSION_COOKIE not in asked.cookies
    form = client.get("/auth/google/link")
    assert form.status_code == 200 and "henry@example.com" in form.text
    assert 'type="password"' in form.text

    cross = client.post("/auth/google/link", data={"password": "longenough"}, headers=CROSS)
    assert cross.status_code == 403 and SESSION_COOKIE not in cross.cookies
    wrong = client.post("/auth/google/link", data={"password": "not it!!"}, headers=SAME)
    assert wrong.status_code == 401 and "Wrong password" in wrong.text
    assert SESSION_COOKIE not in wrong.cookies
    with Session(db) as s:
        assert s.exec(select(OAuthAccount)).all() == []

    ok = client.post("/auth/google/link", data={"password": "longenough"}, headers=SAME)
    assert ok.status_code == 303 and ok.headers["location"] == "/home"
    with Session(db) as s:
        user = auth.user_for_token(s, ok.cookies.get(SESSION_COOKIE))
        henry = s.exec(select(User).where(User.username == "henry")).one()
        assert user is not None and user.id == henry.id
        assert s.exec(select(OAuthAccount)).one().user_id == henry.id
    # From now on Google opens the account directly.
    client.cookies.clear()
    assert client.get(authorize(client, "g-200")).headers["location"] == "/home"


def test_google_claims_an_unverified_account_with_its_address(
    client: TestClient, provider: str, db: Engine, settings: Settings
) -> None:
    """Someone signed up first as victim@gmail.com and never proved it: the real owner's
    verified Google identity takes the account, and every way the squatter had in ends."""
    with Session(db) as s:
        squatter = users.create_user(s, "squatter", "victim@gmail.com", "squatters pw", bonus=5)
        squatter_id = squatter.id or 0
        old_session = auth.create_session(s, squatter_id, settings)
        old_token = api_tokens.create_token(s, squatter_id, "script").secret
        oauth.connect_oauth(s, squatter_id, "google", "g-squatter", "squatter@gmail.com")
        s.commit()
    register(provider, "g-600", email="victim@gmail.com", email_verified=True, name="Victim")
    done = client.get(authorize(client, "g-600"))
    assert done.status_code == 303 and done.headers["location"] == "/home"
    with Session(db) as s:
        user = auth.user_for_token(s, done.cookies.get(SESSION_COOKIE))
        assert user is not None and user.id == squatter_id
        assert user.password_hash is None and user.email_verified
        assert auth.user_for_token(s, old_session) is None
        assert api_tokens.user_for_api_token(s, old_token) is None
        links = s.exec(select(OAuthAccount)).all()
        assert [(link.user_id, link.subject) for link in links] == [(squatter_id, "g-600")]
    # The squatter's password no longer opens anything.
    refused = client.post("/api/auth/login", json={"login": "squatter", "password": "squatters pw"})
    assert refused.status_code == 401


def test_connect_google_from_settings(
    client: TestClient, provider: str, db: Engine, settings: Settings
) -> None:
    with Session(db, expire_on_commit=False) as s:
        ann = users.create_user(s, "ann", "ann@example.com", "longenough", bonus=5)
        token = auth.create_session(s, ann.id or 0, settings)
        s.commit()
    register(provider, "g-700", email="ann.other@gmail.com", email_verified=True, name="Ann")

    assert client.get("/auth/google/connect").headers["location"].startswith("/login")
    client.cookies.set(SESSION_COOKIE, token)
    refused = client.get("/auth/google/connect", headers=CROSS)
    assert refused.headers["location"].startswith("/settings?google_error=")
    done = client.get(authorize(client, "g-700", start="/auth/google/connect"))
    assert done.status_code == 303 and done.headers["location"] == "/settings?google=connected"
    with Session(db) as s:
        link = s.exec(select(OAuthAccount)).one()
        assert (link.user_id, link.subject) == (ann.id, "g-700")
    # Google now signs in to ann's account.
    client.cookies.clear()
    signed = client.get(authorize(client, "g-700"))
    with Session(db) as s:
        found = auth.user_for_token(s, signed.cookies.get(SESSION_COOKIE))
        assert found is not None and found.id == ann.id


def test_accented_google_name_gets_a_valid_username(
    client: TestClient, provider: str, db: Engine
) -> None:
    register(provider, "g-800", email="jose@example.com", email_verified=True, name="José García")
    done = client.get(authorize(client, "g-800"))
    assert done.status_code == 303 and done.headers["location"] == "/home"
    with Session(db) as s:
        assert s.exec(select(User)).one().username == "josegarcia"


def test_bad_or_replayed_state_is_rejected(client: TestClient, provider: str, db: Engine) -> None:
    register(provider, "g-300", email="ivy@example.com", email_verified=True, name="Ivy")
    callback = authorize(client, "g-300")
    forged = callback.replace("state=", "state=x")
    refused = client.get(forged)
    assert refused.status_code == 303 and refused.headers["location"].startswith("/login?error=")
    assert SESSION_COOKIE not in refused.cookies
    # The genuine callback still works once, then its state is spent.
    assert client.get(callback).headers["location"] == "/home"
    replay = client.get(callback)
    assert replay.headers["location"].startswith("/login?error=")


def test_denied_consent_and_unverified_email(client: TestClient, provider: str, db: Engine) -> None:
    denied = client.get(authorize(client, "g-400", action="deny"))
    assert "cancelled" in denied.headers["location"]
    register(provider, "g-500", email="joe@example.com", email_verified=False, name="Joe")
    unverified = client.get(authorize(client, "g-500"))
    assert unverified.headers["location"].startswith("/login?error=")
    with Session(db) as s:
        assert s.exec(select(User)).all() == []


def test_button_route_refuses_when_not_configured(db: Engine, settings: Settings) -> None:
    api = create_api()
    api.dependency_overrides[get_settings] = lambda: settings
    with TestClient(api, follow_redirects=False) as c:
        r = c.get("/auth/google/login")
    assert r.status_code == 303 and "not%20configured" in r.headers["location"]


@pytest.fixture
def loopback(db: Engine, settings: Settings, provider: str) -> Iterator[TestClient]:
    """`make run`: SITE_URL says localhost, the browser was opened at 127.0.0.1 (printed)."""
    site = settings.model_copy(
        update={
            "google_client_id": "pixel-studio",
            "google_client_secret": "s3cret",
            "google_discovery_url": f"{provider}/.well-known/openid-configuration",
            "site_url": "http://localhost:3000",
            # Every sign-up here comes from one test client: Google sign-ups count against
            # the per-network limit (tests/api/test_google_signup_limit.py tests it).
            "signups_per_window": 1000,
        }
    )

    def session_override() -> Iterator[Session]:
        with Session(db, expire_on_commit=False) as s:
            yield s
            s.commit()

    api = create_api()
    api.dependency_overrides[get_settings] = lambda: site
    api.dependency_overrides[db_session] = session_override
    with TestClient(api, base_url="http://127.0.0.1:3000", follow_redirects=False) as c:
        yield c


def browse(client: TestClient, url: str, headers: dict[str, str]) -> httpx.Response:
    """Follow our own redirects (on any loopback alias) as a browser would; stop at one that
    leaves for the provider or lands on a page."""
    for _ in range(5):
        r = client.get(url, headers=headers)
        target = r.headers.get("location", "")
        if r.status_code not in (302, 303) or not target.startswith("http://localhost:3000/"):
            return r
        url, headers = target, CROSS  # a redirect from 127.0.0.1 to localhost is cross-site
    raise AssertionError("redirect loop")


def finish(client: TestClient, to_provider: httpx.Response, sub: str) -> httpx.Response:
    """The provider approves `sub` and sends the browser to the callback it was given."""
    assert to_provider.status_code in (302, 303), to_provider.text
    approved = httpx.post(to_provider.headers["location"], data={"sub": sub}, verify=False)
    assert approved.status_code == 302
    callback = approved.headers["location"]
    assert callback.startswith("http://localhost:3000/auth/google/callback?")
    return client.get(callback)


def test_sign_in_started_at_127_0_0_1_completes_on_site_host(
    loopback: TestClient, provider: str, db: Engine
) -> None:
    register(provider, "g-900", email="lee@example.com", email_verified=True, name="Lee")
    done = finish(loopback, browse(loopback, "/auth/google/login", SAME), "g-900")
    assert done.status_code == 303 and done.headers["location"] == "/home", done.headers
    token = loopback.cookies.get(SESSION_COOKIE, domain="localhost.local")
    with Session(db) as s:
        user = auth.user_for_token(s, token)
        assert user is not None and user.username == "lee"
    # The move keeps the query; on SITE_URL's own host nothing moves; a host the site does
    # not answer to is refused before any route (api/hosts.py): no redirect at all.
    moved = loopback.get("/auth/google/login?next=%2Fcreate", headers=SAME)
    assert moved.status_code == 303
    assert moved.headers["location"] == "http://localhost:3000/auth/google/login?next=%2Fcreate"
    here = loopback.get("http://localhost:3000/auth/google/login")
    assert here.headers["location"].startswith(provider)
    elsewhere = loopback.get("http://evil.example:3000/auth/google/login")
    assert elsewhere.status_code == 400 and "location" not in elsewhere.headers


def test_connect_google_started_at_127_0_0_1(
    loopback: TestClient, provider: str, db: Engine, settings: Settings
) -> None:
    with Session(db, expire_on_commit=False) as s:
        ann = users.create_user(s, "ann", "ann@example.com", "longenough", bonus=5)
        token = auth.create_session(s, ann.id or 0, settings)
        s.commit()
    register(provider, "g-901", email="ann.g@gmail.com", email_verified=True, name="Ann")
    # Signed in on 127.0.0.1 only: the session does not exist on localhost, sign in there.
    loopback.cookies.set(SESSION_COOKIE, token, domain="127.0.0.1")
    first = browse(loopback, "/auth/google/connect", SAME)
    assert first.headers["location"] == "/login?next=%2Fsettings"
    # Signed in on localhost as well: the cross-site hop is refused; its button then works.
    loopback.cookies.set(SESSION_COOKIE, token, domain="localhost.local")
    hop = browse(loopback, "/auth/google/connect", SAME)
    assert hop.headers["location"].startswith("/settings?google_error=Use%20the%20button")
    button = loopback.get("http://localhost:3000/auth/google/connect", headers=SAME)
    done = finish(loopback, button, "g-901")
    assert done.headers["location"] == "/settings?google=connected"
    with Session(db) as s:
        link = s.exec(select(OAuthAccount)).one()
        assert (link.user_id, link.subject) == (ann.id, "g-901")
