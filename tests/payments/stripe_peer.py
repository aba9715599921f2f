"""A small Stripe stand-in on loopback for the endpoints the app calls (TEST_PEERS.md: no
stripe-mock here), plus Stripe's webhook signing for the tests.

- `POST /v1/checkout/sessions`: records the request (form body, headers) and answers a
  Checkout Session whose `url` is this peer's `/pay/<id>`. The same Idempotency-Key gives the
  same session back, as Stripe does.
- `GET /pay/<id>`: the hosted Checkout page's happy ending: a 303 back to the session's
  `success_url`, `{CHECKOUT_SESSION_ID}` filled in (`/pay/<id>?cancel=1` goes to `cancel_url`).
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit


@dataclass
class Recorded:
    path: str
    headers: dict[str, str]  # lower-case names: clients differ in case
    form: dict[str, str]  # `metadata[user_id]` -> "1", as Stripe's form encoding has it


@dataclass
class StripePeer:
    base: str = ""
    requests: list[Recorded] = field(default_factory=list)
    sessions: dict[str, dict[str, Any]] = field(default_factory=dict)
    by_key: dict[str, str] = field(default_factory=dict)
    fail_with: int | None = None  # answer every API call with this status (an outage)
    _ids: Iterator[int] = field(default_factory=lambda: itertools.count(1))
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def create_session(self, form: dict[str, str], key: str | None) -> dict[str, Any]:
        with self._lock:
            if key and key in self.by_key:
                return self.sessions[self.by_key[key]]
            sid = f"cs_test_{next(self._ids):04d}"
            meta = {k[9:-1]: v for k, v in form.items() if k.startswith("metadata[")}
            session = {
                "id": sid,
                "object": "checkout.session",
                "mode": form.get("mode"),
                "payment_status": "unpaid",
                "status": "open",
                "metadata": meta,
                "amount_total": int(form.get("line_items[0][price_data][unit_amount]", "0")),
                "currency": form.get("line_items[0][price_data][currency]"),
                "client_reference_id": form.get("client_reference_id"),
                # Stripe creates the PaymentIntent with the session; its charge's refunds and
                # disputes name it.
                "payment_intent": f"pi_test_{sid.removeprefix('cs_test_')}",
                "success_url": form.get("success_url"),
                "cancel_url": form.get("cancel_url"),
                "url": f"{self.base}/pay/{sid}",
            }
            self.sessions[sid] = session
            if key:
                self.by_key[key] = sid
            return session


def _handler(peer: StripePeer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:  # quiet test output
            pass

        def _json(self, status: int, body: dict[str, Any]) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length).decode()
            form = {k: v[-1] for k, v in parse_qs(raw, keep_blank_values=True).items()}
            headers = {k.lower(): v for k, v in self.headers.items()}
            path = urlsplit(self.path).path
            peer.requests.append(Recorded(path, headers, form))
            if peer.fail_with is not None:
                error = {"type": "api_error", "message": "peer outage"}
                self._json(peer.fail_with, {"error": error})
            elif path == "/v1/checkout/sessions":
                self._json(200, peer.create_session(form, headers.get("idempotency-key")))
            else:
                self._json(404, {"error": {"type": "invalid_request_error", "message": path}})

        def do_GET(self) -> None:
            parts = urlsplit(self.path)
            session = peer.sessions.get(parts.path.removeprefix("/pay/"))
            if not parts.path.startswith("/pay/") or session is None:
                self._json(404, {"error": {"message": "no such session"}})
                return
            if "cancel=1" in parts.query:
                target = str(session["cancel_url"])
            else:
                target = str(session["success_url"]).replace("{CHECKOUT_SESSION_ID}", session["id"])
            self.send_response(303)
            self.send_header("Location", target)
            self.send_header("Content-Length", "0")
            self.end_headers()

    return Handler


@contextmanager
def stripe_peer(port: int = 0) -> Iterator[StripePeer]:
    peer = StripePeer()
    server = ThreadingHTTPServer(("127.0.0.1", port), _handler(peer))
    peer.base = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield peer
    finally:
        server.shutdown()
        server.server_close()


def sign(payload: bytes, secret: str, timestamp: int | None = None) -> str:
    """The `Stripe-Signature` header exactly as Stripe builds it: HMAC-SHA256 with the endpoint
    secret over `"{t}.{raw body}"`, sent as `t=<unix time>,v1=<hex digest>`."""
    t = int(time.time()) if timestamp is None else timestamp
    digest = hmac.new(secret.encode(), f"{t}.".encode() + payload, hashlib.sha256).hexdigest()
    return f"t={t},v1={digest}"


def checkout_event(
    event_id: str,
    session: dict[str, Any],
    *,
    event_type: str = "checkout.session.completed",
    payment_status: str = "paid",
) -> bytes:
    """A webhook body as Stripe sends it for one Checkout Session."""
    obj = {**session, "payment_status": payment_status, "status": "complete"}
    event = {
        "id": event_id,
        "object": "event",
        "api_version": "2025-01-27.acacia",
        "created": int(time.time()),
        "livemode": False,
        "type": event_type,
        "data": {"object": obj},
    }
    return json.dumps(event).encode()
