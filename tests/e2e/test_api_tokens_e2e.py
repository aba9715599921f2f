"""Settings → API tokens in a real browser (issue 8): create a token, use it against the same
server's REST API, see it listed without its secret, revoke it, and see the API refuse it."""

from __future__ import annotations

import re

import httpx
import pytest
from playwright.sync_api import Page, expect

from tests.e2e.test_accounts_e2e import DESKTOP, sign_up, unique_name

pytestmark = pytest.mark.e2e

# services/accounts/api_tokens.py: "ps_" + 32 random bytes, URL-safe base64 without padding.
TOKEN_TEXT = re.compile(r"^ps_[A-Za-z0-9_-]{43}$")


def me(base_url: str, token: str) -> httpx.Response:
    headers = {"Authorization": f"Bearer {token}"}
    return httpx.get(f"{base_url}/api/v1/me", headers=headers, timeout=30)


SHOWN_ONCE = "Copy this token now: it is not shown again."


def create_token(page: Page, name: str, access: str | None = None) -> str:
    """Fill the form and submit it; the secret the page shows (in its read-only input)."""
    page.get_by_label("Token name", exact=True).fill(name)
    if access is not None:
        page.get_by_label("Access", exact=True).click()
        page.get_by_role("option", name=access, exact=True).click()
    page.get_by_role("button", name="Create token", exact=True).click()
    expect(page.get_by_text(SHOWN_ONCE)).to_be_visible()
    shown = page.get_by_label("Your new API token", exact=True)
    expect(shown).to_have_value(TOKEN_TEXT)
    return shown.input_value()


def test_create_use_and_revoke_api_token(page: Page, base_url: str) -> None:
    page.set_viewport_size(DESKTOP)
    username = unique_name("tok")
    sign_up(page, username)  # a sign-in a moment ago: no password needed to mint a token
    page.goto("/settings")
    expect(page.get_by_role("heading", name="API tokens", exact=True)).to_be_visible()
    expect(page.get_by_text("No tokens yet.", exact=True)).to_be_visible()

    token_name = f"laptop script {unique_name('')}"
    secret = create_token(page, token_name)
    assert TOKEN_TEXT.match(secret), secret
    expect(page.get_by_label("Token name", exact=True)).to_have_value("")  # the form is emptied

    # The token works from outside the browser, as the token owner.
    answer = me(base_url, secret)
    assert answer.status_code == 200, answer.text
    assert answer.json()["username"] == username

    # "Done" takes the secret out of the page: the input is emptied and hidden.
    page.get_by_role("button", name="Done", exact=True).click()
    expect(page.get_by_text(SHOWN_ONCE)).to_be_hidden()
    expect(page.locator("#new-api-token")).to_have_value("")
    assert secret not in page.content()

    # After a reload the token is listed by its name (and now as used), never its secret.
    page.reload()
    expect(page.get_by_text(token_name, exact=True)).to_be_visible()
    expect(page.get_by_text(re.compile(r"last used \d{4}-\d{2}-\d{2}"))).to_be_visible()
    expect(page.get_by_text("No tokens yet.", exact=True)).to_have_count(0)
    expect(page.get_by_text(SHOWN_ONCE)).to_be_hidden()
    assert secret not in page.content()

    # A read-only token reads, and the API refuses its writes with the usual error shape.
    reader = create_token(page, "dashboard", access="Read only")
    expect(page.get_by_text("Read only", exact=True).first).to_be_visible()
    assert me(base_url, reader).status_code == 200
    refused = httpx.post(
        f"{base_url}/api/v1/collections",
        json={"title": "not allowed"},
        headers={"Authorization": f"Bearer {reader}"},
        timeout=30,
    )
    assert refused.status_code == 403, refused.text
    assert refused.json()["error"]["code"] == "read_only_token"
    page.get_by_role("button", name="Revoke dashboard", exact=True).click()
    expect(page.get_by_text("dashboard", exact=True)).to_have_count(0)

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
    assert body["error"]["message"] == (
        "This API token is not valid: it was revoked, expired or mistyped."
    )
    assert body["error"]["field"] is None
