"""Settings → Webhooks in a real browser (issue 15), as an operator would try it: add an
endpoint, copy its signing secret, start a job through the REST API, receive a signed
`job.succeeded` on a loopback receiver, see the delivery in the settings page, delete it."""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest
from playwright.sync_api import Page, expect

from pixel_studio.services.integrations.webhook_delivery import verify_signature
from tests.e2e.test_accounts_e2e import DESKTOP, sign_up_by_api, unique_name
from tests.e2e.test_api_tokens_e2e import create_token

pytestmark = pytest.mark.e2e
SHOWN_ONCE = "Copy this signing secret now: it is not shown again."


@pytest.fixture
def inbox() -> Iterator[tuple[str, list[tuple[dict[str, str], bytes]]]]:
    got: list[tuple[dict[str, str], bytes]] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - http.server's name
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            got.append((dict(self.headers.items()), body))
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/hook", got
    server.shutdown()
    server.server_close()


def test_add_a_webhook_and_receive_a_signed_job_succeeded(
    page: Page, base_url: str, inbox: tuple[str, list[tuple[dict[str, str], bytes]]]
) -> None:
    url, got = inbox
    page.set_viewport_size(DESKTOP)
    sign_up_by_api(page, unique_name("hook"))
    page.goto("/settings")
    expect(page.get_by_role("heading", name="Webhooks", exact=True)).to_be_visible()
    expect(page.get_by_text("No webhooks yet.", exact=True)).to_be_visible()

    page.get_by_label("Endpoint URL", exact=True).fill(url)
    page.get_by_role("button", name="Add webhook", exact=True).click()
    expect(page.get_by_text(SHOWN_ONCE)).to_be_visible()
    shown = page.get_by_label("The new webhook's signing secret", exact=True)
    expect(shown).to_have_value(re.compile(r"^whsec_"))
    secret = shown.input_value()
    expect(page.get_by_text(url, exact=True)).to_be_visible()
    page.get_by_role("button", name="Done", exact=True).click()
    expect(page.get_by_text(SHOWN_ONCE)).to_be_hidden()
    assert secret not in page.content()

    token = create_token(page, "hooks")
    body = {"model": "local-sketch", "prompt": "a red fox", "size": "256x256"}
    answer = httpx.post(
        f"{base_url}/api/v1/generations",
        json=body,
        headers={"Authorization": f"Bearer {token}"},
        timeout=30,
    )
    assert answer.status_code == 201, answer.text
    deadline = time.monotonic() + 60
    while not got and time.monotonic() < deadline:
        time.sleep(0.1)
    assert got, "no webhook arrived"
    headers, raw = got[0]
    assert verify_signature(secret, raw, headers["Pixel-Studio-Signature"])
    event = json.loads(raw)
    assert event["type"] == "job.succeeded" and event["data"]["job_id"] == answer.json()["id"]

    page.reload()
    expect(page.get_by_text("succeeded", exact=True)).to_be_visible()
    expect(page.get_by_text(re.compile(r"^job\.succeeded → "))).to_be_visible()
    page.get_by_role("button", name=f"Delete the webhook {url}").click()
    expect(page.get_by_text("No webhooks yet.", exact=True)).to_be_visible()
