"""Settings → API tokens in a real browser (issue 8): create a token, use it against the same
server's REST API, see it listed without its secret, revoke it, and see the API refuse it."""

from __future__ import annotations

import re

import httpx
import pytest
from playwright.sync_api import Page, expect

from tests.e2e.test_accounts_e2e import DESKTOP, sign_up, unique_name

pytestmark = pytest.mark.e2e

# services/api_tokens.py: "ps_" + 32 random bytes, URL-safe base64 without padding.
TOKEN_TEXT = re.compile(r"^ps_[A-Za-z0-9_-]{43}$")


def me(base_url: str, token: str) -> httpx.Response:
    headers = {"Authorization": f"Bearer {token}"}
    return httpx.get(f"{base_url}/api/v1/me", headers=headers, timeout=30)


def test_create_use_and_revoke_api_token(page: Page, base_url: str) -> None:
    page.set_viewport_size(DESKTOP)
    username = unique_name("tok")
    sign_up(page, username)
    page.goto("/settings")
    expect(page.get_by_role("heading", name="API tokens", exact=True)).to_be_visible()
    expect(page.get_by_text("No tokens yet.", exact=True)).to_be_visible()

    token_name = f"laptop script {unique_name('')}"
    page.get_by_label("Token name", exact=True).fill(token_name)
    page.get_by_role("button", name="Create token", exact=True).click()
    expect(page.get_by_text("Copy this token now: it is not shown again.")).to_be_visible()
    shown = page.get_by_text(TOKEN_TEXT)
    expect(shown).to_have_count(1)
    secret = shown.inner_text().strip()
    assert TOKEN_TEXT.match(secret), secret

    # The token works from outside the browser, as the token owner.
    answer = me(base_url, secret)
    assert answer.status_code == 200, answer.text
    assert answer.json()["username"] == username

    # After a reload the token is listed by its name (and now as used), never its secret.
    page.reload()
    expect(page.get_by_text(token_name, exact=True)).to_be_visible()
    expect(page.get_by_text(re.compile(r"last used \d{4}-\d{2}-\d{2}"))).to_be_visible()
    expect(page.get_by_text("No tokens yet.", exact=True)).to_have_count(0)
    expect(page.get_by_text("Copy this token now: it is not shown again.")).to_have_count(0)
    expect(page.get_by_text(secret)).to_have_count(0)
    assert secret not in page.content()

    # Revoke it (no confirmation step: the button revokes at once) and it leaves the list.
    page.get_by_role("button", name=f"Revoke {token_name}", exact=True).click()
    expect(page.get_by_text(token_name, exact=True)).to_have_count(0)
    expect(page.get_by_text("No tokens yet.", exact=True)).to_be_visible()

    # The API refuses the revoked token with the JSON error shape every /api/v1 error has.
    refused = me(base_url, secret)
    assert refused.status_code == 401, refused.text
    assert refused.headers["www-authenticate"] == "Bearer"
    body = refused.json()
    assert set(body) == {"error"}
    assert body["error"]["code"] == "invalid_token"
    assert body["error"]["message"] == "This API token is not valid: it was revoked, expired or mistyped."
    assert body["error"]["field"] is None
