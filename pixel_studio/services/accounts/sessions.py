"""Your sessions: each sign-in's browser, network and last use; signing one out; and the one
question every socket event asks first (`touch`: whose live session is this cookie?).

The network is the client's IPv4 /24 or IPv6 /48 (an approximate place: enough to tell "home"
from "a phone on the road", never a full address). `last_seen_at` is written at most once per
SEEN_EVERY per session, by a conditional UPDATE, so a busy tab does not turn every event into a
write. `authenticated_at` is when the password (or Google) last proved the person: a sign-in
younger than FRESH_SIGN_IN may mint an API token without typing the password again.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from typing import NamedTuple

from sqlalchemy import or_, update
from sqlmodel import Session, col, select
from ua_parser import parse as parse_user_agent

from pixel_studio.db import utcnow
from pixel_studio.models import User, UserSession
from pixel_studio.services.accounts.auth import hash_token
from pixel_studio.services.errors import NotFound

SEEN_EVERY = timedelta(minutes=5)
FRESH_SIGN_IN = timedelta(minutes=10)
MAX_LISTED = 50  # live sessions shown; older ones still work and are ended by "everywhere"
TOKEN_MAX = 128  # longer cookies are not ours: refused before hashing


def network_of(ip: str | None) -> str:
    """The /24 (IPv4) or /48 (IPv6) an address belongs to; "" when it is not an address."""
    try:
        addr = ipaddress.ip_address((ip or "").strip().split("%", 1)[0])
    except ValueError:
        return ""
    if isinstance(addr, ipaddress.IPv6Address) and addr.ipv4_mapped is not None:
        addr = addr.ipv4_mapped
    prefix = 24 if isinstance(addr, ipaddress.IPv4Address) else 48
    return str(ipaddress.ip_network((addr, prefix), strict=False))


@lru_cache(maxsize=256)
def browser_of(user_agent: str | None) -> str:
    """ "Chrome 131 on Linux" from a User-Agent; "Unknown browser" for a script or nothing."""
    if not user_agent:
        return "Unknown browser"
    found = parse_user_agent(user_agent)
    name = found.user_agent.family if found.user_agent else ""
    if not name or name == "Other":
        return "Unknown browser"
    major = found.user_agent.major if found.user_agent else None
    label = f"{name} {major}" if major else name
    system = found.os.family if found.os else ""
    return f"{label} on {system}" if system and system != "Other" else label


def _live(token: str) -> tuple:  # type: ignore[type-arg]  # a SQL condition tuple
    return (
        UserSession.token_hash == hash_token(token),
        col(UserSession.activated).is_(True),
        col(UserSession.revoked_at).is_(None),
        UserSession.expires_at > utcnow(),
    )


class Seen(NamedTuple):
    """Whose live session a cookie is, with what the tab shows of the account besides."""

    session_id: int
    user_id: int
    credits: int


def touch(session: Session, token: str | None, network: str = "") -> Seen | None:
    """Whose live session `token` is (None: missing, forged, expired, revoked, suspended), and
    record that it was seen: at most once per SEEN_EVERY. Commits only when it writes.

    Asked at the start of every socket event (state/identity.py): one lookup on the unique
    token_hash index, and one conditional UPDATE every few minutes per session. The balance
    comes with the user row the lookup joins anyway: live pushes send a new balance to the
    browser without loading the tab's state (state/live_tabs.py), and the tab's next event
    takes it from here."""
    if not token or len(token) > TOKEN_MAX:
        return None
    found = session.exec(
        select(UserSession.id, UserSession.user_id, UserSession.last_seen_at, User.credits)
        .join(User, col(User.id) == col(UserSession.user_id))
        .where(col(User.suspended_at).is_(None), *_live(token))
    ).first()
    if found is None:
        return None
    session_id, user_id, last_seen, credits = found
    now = utcnow()
    if last_seen is None or last_seen < now - SEEN_EVERY:
        values: dict[str, object] = {"last_seen_at": now}
        if network:
            values["network"] = network
        # Conditional: concurrent events of one session write it once.
        session.execute(
            update(UserSession)
            .where(
                col(UserSession.id) == session_id,
                or_(
                    col(UserSession.last_seen_at).is_(None),
                    col(UserSession.last_seen_at) < now - SEEN_EVERY,
                ),
            )
            .values(**values)
        )
        session.commit()
    return Seen(int(session_id or 0), int(user_id), int(credits))


def live_session_users(session: Session, session_ids: Collection[int]) -> dict[int, int]:
    """Which of these sessions are live (not revoked, not expired, the account not suspended),
    each with its user: one query for every open tab a burst of live pushes goes to."""
    if not session_ids:
        return {}
    found = session.exec(
        select(UserSession.id, UserSession.user_id)
        .join(User, col(User.id) == col(UserSession.user_id))
        .where(
            col(UserSession.id).in_(list(session_ids)),
            col(User.suspended_at).is_(None),
            col(UserSession.activated).is_(True),
            col(UserSession.revoked_at).is_(None),
            UserSession.expires_at > utcnow(),
        )
    ).all()
    return {int(session_id or 0): int(user_id) for session_id, user_id in found}


def recently_authenticated(session: Session, user_id: int, token: str | None) -> bool:
    """True if `token` is the user's live session and its sign-in is under FRESH_SIGN_IN old."""
    if not token or len(token) > TOKEN_MAX:
        return False
    when = session.exec(
        select(UserSession.authenticated_at).where(
            col(UserSession.user_id) == user_id, *_live(token)
        )
    ).first()
    return when is not None and when >= utcnow() - FRESH_SIGN_IN


@dataclass(frozen=True)
class SessionInfo:
    """One row of the sessions list: never the token."""

    id: int
    browser: str
    network: str  # "" when unknown
    signed_in_at: datetime
    last_seen_at: datetime
    current: bool  # the session of the browser asking: "this device"


def list_sessions(session: Session, user_id: int, token: str | None) -> list[SessionInfo]:
    """The user's live sessions, this device first, then the most recently seen."""
    now = utcnow()
    rows = session.exec(
        select(UserSession)
        .where(
            col(UserSession.user_id) == user_id,
            col(UserSession.activated).is_(True),
            col(UserSession.revoked_at).is_(None),
            UserSession.expires_at > now,
        )
        .order_by(col(UserSession.id).desc())
        .limit(MAX_LISTED)
    ).all()
    mine = hash_token(token) if token and len(token) <= TOKEN_MAX else None
    infos = [
        SessionInfo(
            id=r.id or 0,
            browser=browser_of(r.user_agent),
            network=r.network or "",
            signed_in_at=r.authenticated_at or r.created_at,
            last_seen_at=r.last_seen_at or r.authenticated_at or r.created_at,
            current=r.token_hash == mine,
        )
        for r in rows
    ]
    return sorted(infos, key=lambda i: (not i.current, -i.last_seen_at.timestamp()))


def revoke_session(session: Session, user_id: int, session_id: int) -> None:
    """Sign out one of the user's sessions. Commits. NotFound if it is not theirs or gone;
    that browser's open tabs sign out at their next event (`touch` no longer finds it)."""
    result = session.execute(
        update(UserSession)
        .where(
            col(UserSession.id) == session_id,
            col(UserSession.user_id) == user_id,
            col(UserSession.revoked_at).is_(None),
        )
        .values(revoked_at=utcnow())
    )
    if int(result.rowcount or 0) != 1:  # type: ignore[attr-defined]
        session.rollback()
        raise NotFound("That session has already ended.")
    session.commit()
