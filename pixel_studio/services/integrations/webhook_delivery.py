"""Sending one webhook delivery: the address check, the signature, one attempt, the retry plan.

Signature (the scheme of Stripe's): every POST carries

    Pixel-Studio-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<raw body>")>

plus `Pixel-Studio-Event` (the event type) and `Pixel-Studio-Delivery` (the event id, the
same on every attempt: receivers de-duplicate on it). A receiver recomputes v1 over the raw
body with the secret it was shown once, compares in constant time and refuses a `t` more than
five minutes away from its clock (`verify_signature` is that check).

Targets: the URL's host is resolved on every attempt (and when registering). If any address
it resolves to is private, loopback, link-local or otherwise not public, the delivery is
refused and fails at once, unless WEBHOOKS_ALLOW_PRIVATE is set. The connection then goes to
the very address that was checked (the URL rewritten to it; Host header and TLS SNI and
certificate check keep the name), so a second lookup cannot rebind the name to an inside
address between the check and the connection. Redirects are not followed (a redirect could
point anywhere) and count as a failed attempt.

Attempts are claimed with a conditional UPDATE (pending, due, `attempts` bumped) and their
result written only if `attempts` is still the claimed one, so a duplicate task or a task
delivered twice by the broker never sends twice at once nor overwrites a newer result.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import ipaddress
import json
import logging
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import urlsplit, urlunsplit

import httpx
from sqlalchemy import Engine, update
from sqlmodel import col, select

from pixel_studio.db import get_engine, session_scope, utcnow
from pixel_studio.models.webhooks import DeliveryStatus, Webhook, WebhookDelivery
from pixel_studio.services.errors import InvalidInput
from pixel_studio.settings import Settings, get_settings

log = logging.getLogger(__name__)

SIGNATURE_HEADER = "Pixel-Studio-Signature"
EVENT_HEADER = "Pixel-Studio-Event"
DELIVERY_HEADER = "Pixel-Studio-Delivery"
TOLERANCE_SECONDS = 300
MAX_BACKOFF_SECONDS = 6 * 3600.0
USER_AGENT = "PixelStudio-Webhooks/1"
Resolver = Callable[[str, int], list[str]]

SECRET_PREFIX = "whsec_"


def signing_secret(settings: Settings, salt: str) -> str:
    """An endpoint's signing secret, derived from SECRET_KEY and its salt (never stored)."""
    digest = hmac.new(
        settings.resolved_secret_key().encode(), b"webhook-secret:" + salt.encode(), hashlib.sha256
    ).digest()
    return SECRET_PREFIX + base64.urlsafe_b64encode(digest).decode().rstrip("=")


class TargetRefused(InvalidInput):
    """The URL's host does not resolve, or resolves to an address webhooks may not reach."""


def system_resolve(host: str, port: int) -> list[str]:
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


def refused_reason(ip: str) -> str | None:
    """Why webhooks may not connect to `ip` (by default), or None for a public address."""
    addr = ipaddress.ip_address(ip.split("%", 1)[0])
    if isinstance(addr, ipaddress.IPv6Address) and addr.ipv4_mapped is not None:
        addr = addr.ipv4_mapped  # ::ffff:10.0.0.1 is 10.0.0.1
    if addr.is_loopback:
        return "a loopback address"
    if addr.is_link_local:
        return "a link-local address"
    if addr.is_private:
        return "a private address"
    if addr.is_multicast or addr.is_unspecified or addr.is_reserved or not addr.is_global:
        return "an address that is not public"
    return None


@dataclass(frozen=True)
class Target:
    url: str  # the URL with the checked address in place of the name: what is connected to
    host: str  # the Host header (the name, and the port when the URL had one)
    sni: str | None  # the name TLS sends and checks the certificate against (https only)
    ip: str


def resolve_target(url: str, settings: Settings, resolve: Resolver | None = None) -> Target:
    """The address to connect to for `url`, after the check. TargetRefused otherwise."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    https = parts.scheme == "https"
    port = parts.port or (443 if https else 80)
    try:
        ips = (resolve or system_resolve)(host, port)
    except (OSError, UnicodeError, ValueError):
        ips = []
    if not ips:
        raise TargetRefused(f"The host {host} could not be resolved.", field="url")
    if not settings.webhooks_allow_private:
        for ip in ips:
            reason = refused_reason(ip)
            if reason is not None:
                raise TargetRefused(
                    f"{host} resolves to {reason} ({ip}): webhook targets must be public.",
                    field="url",
                )
    ip = ips[0]
    netloc = (f"[{ip}]" if ":" in ip else ip) + f":{port}"
    pinned = urlunsplit((parts.scheme, netloc, parts.path or "/", parts.query, ""))
    return Target(pinned, parts.netloc, host if https else None, ip)


def check_url(url: str, settings: Settings) -> None:
    """Registration's check (the same one every delivery makes again)."""
    resolve_target(url, settings)


def sign(secret: str, body: bytes, timestamp: int) -> str:
    mac = hmac.new(secret.encode(), str(timestamp).encode() + b"." + body, hashlib.sha256)
    return f"t={timestamp},v1={mac.hexdigest()}"


def verify_signature(
    secret: str,
    body: bytes,
    header: str | None,
    *,
    tolerance: int = TOLERANCE_SECONDS,
    now: float | None = None,
) -> bool:
    """What a receiver checks: a v1 signature of this body with this secret, at a time
    within `tolerance` seconds of now."""
    if not header:
        return False
    fields: dict[str, list[str]] = {}
    for part in header.split(","):
        key, _, value = part.strip().partition("=")
        fields.setdefault(key, []).append(value)
    try:
        timestamp = int(fields.get("t", [""])[0])
    except ValueError:
        return False
    if abs((time.time() if now is None else now) - timestamp) > tolerance:
        return False
    expected = sign(secret, body, timestamp).split("v1=", 1)[1]
    return any(hmac.compare_digest(expected, given) for given in fields.get("v1", []))


def backoff(attempt: int, settings: Settings) -> float:
    """Seconds before the attempt after `attempt` (1-based): base, 4×base, 16×base, ..."""
    return min(settings.webhook_retry_base_seconds * 4 ** (attempt - 1), MAX_BACKOFF_SECONDS)


@dataclass(frozen=True)
class Outcome:
    status: str  # a DeliveryStatus value
    attempts: int
    retry_in: float | None = None  # seconds until the next attempt, when there is one
    error: str | None = None


def _claim(engine: Engine, delivery_id: int, settings: Settings) -> int | None:
    now = utcnow()
    # While an attempt runs, its row is not due: a duplicate task finds nothing to claim.
    lease = now + timedelta(seconds=settings.webhook_timeout_seconds + 60)
    with session_scope(engine) as session:
        row = session.execute(
            update(WebhookDelivery)
            .where(
                col(WebhookDelivery.id) == delivery_id,
                col(WebhookDelivery.status) == DeliveryStatus.pending,
                col(WebhookDelivery.next_attempt_at) <= now,
            )
            .values(attempts=col(WebhookDelivery.attempts) + 1, next_attempt_at=lease)
            .returning(col(WebhookDelivery.attempts))
        ).one_or_none()
    return int(row[0]) if row is not None else None


def _send(target: Target, body: bytes, headers: dict[str, str], timeout: float) -> int:
    extensions = {"sni_hostname": target.sni} if target.sni else {}
    # trust_env=False: an HTTP(S)_PROXY variable must not send the request somewhere else.
    with (
        httpx.Client(timeout=timeout, follow_redirects=False, trust_env=False) as client,
        client.stream(
            "POST",
            target.url,
            content=body,
            headers={**headers, "Host": target.host},
            extensions=extensions,
        ) as response,
    ):
        return response.status_code  # the body is never read: it is not ours to keep


def run_delivery(
    delivery_id: int,
    *,
    engine: Engine | None = None,
    settings: Settings | None = None,
    resolve: Resolver | None = None,
) -> Outcome | None:
    """One attempt of one delivery, if it is pending and due; None otherwise (done already,
    or another task has it). The outcome says whether and when to try again."""
    engine = engine or get_engine()
    settings = settings or get_settings()
    attempt = _claim(engine, delivery_id, settings)
    if attempt is None:
        return None
    with session_scope(engine) as session:
        found = session.exec(
            select(WebhookDelivery, Webhook)
            .join(Webhook, col(Webhook.id) == col(WebhookDelivery.webhook_id))
            .where(col(WebhookDelivery.id) == delivery_id)
        ).first()
    if found is None:
        return None  # the endpoint was deleted meanwhile (its log went with it)
    delivery, hook = found
    body = json.dumps(delivery.payload, separators=(",", ":"), sort_keys=True).encode()
    code: int | None = None
    error: str | None = None
    permanent = False
    try:
        target = resolve_target(hook.url, settings, resolve)
        headers = {
            "Content-Type": "application/json",
            "User-Agent": USER_AGENT,
            EVENT_HEADER: delivery.event,
            DELIVERY_HEADER: delivery.event_id,
            SIGNATURE_HEADER: sign(
                signing_secret(settings, hook.secret_salt), body, int(time.time())
            ),
        }
        code = _send(target, body, headers, settings.webhook_timeout_seconds)
        if not 200 <= code < 300:
            error = f"HTTP {code}" + (" (redirects are not followed)" if 300 <= code < 400 else "")
    except TargetRefused as exc:
        error, permanent = f"Refused: {exc.message}", True
    except Exception as exc:  # network, TLS, timeout: a failed attempt, tried again later
        if not isinstance(exc, httpx.HTTPError):
            log.exception("webhook delivery %s: unexpected error", delivery_id)
        error = f"{type(exc).__name__}: {exc}"[:500]
    return _finish(engine, delivery_id, attempt, code, error, permanent, settings)


def _finish(
    engine: Engine,
    delivery_id: int,
    attempt: int,
    code: int | None,
    error: str | None,
    permanent: bool,
    settings: Settings,
) -> Outcome | None:
    now = utcnow()
    retry_in: float | None = None
    if error is None:
        status = DeliveryStatus.succeeded
        values = {"status": status, "next_attempt_at": None, "delivered_at": now}
    elif permanent or attempt >= settings.webhook_max_attempts:
        status = DeliveryStatus.failed
        values = {"status": status, "next_attempt_at": None}
    else:
        status = DeliveryStatus.pending
        retry_in = backoff(attempt, settings)
        values = {"status": status, "next_attempt_at": now + timedelta(seconds=retry_in)}
    with session_scope(engine) as session:
        result = session.execute(
            update(WebhookDelivery)
            .where(col(WebhookDelivery.id) == delivery_id, col(WebhookDelivery.attempts) == attempt)
            .values(last_status_code=code, last_error=error[:500] if error else None, **values)
        )
        if result.rowcount != 1:  # type: ignore[attr-defined]
            return None  # taken over by a later attempt (a lease that ran out): its result wins
    log.info(
        "webhook delivery %s attempt %d: %s%s",
        delivery_id,
        attempt,
        status,
        f" ({error})" if error else "",
    )
    return Outcome(status, attempt, retry_in, error)


def due_delivery_ids(engine: Engine, *, late_by: float = 60.0, limit: int = 500) -> list[int]:
    """Pending deliveries whose attempt is overdue by `late_by` seconds: their task was lost
    (a broker message dropped, a process restarted). Sending them again is safe (the claim)."""
    cutoff = utcnow() - timedelta(seconds=late_by)
    with session_scope(engine) as session:
        rows = session.exec(
            select(WebhookDelivery.id)
            .where(
                col(WebhookDelivery.status) == DeliveryStatus.pending,
                col(WebhookDelivery.next_attempt_at) <= cutoff,
            )
            .order_by(col(WebhookDelivery.next_attempt_at))
            .limit(limit)
        ).all()
    return [r for r in rows if r is not None]
