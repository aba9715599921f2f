"""Forgot password: a link by mail (single use, 30 minutes, stored hashed) sets a new one.

Asking answers the same whether or not the account exists, in the same time: the request
only checks the network's limit and queues the rest (finding the account, writing its token,
the mail). Requests are limited per network (a 429: it says nothing about any account) and
per account, where going over is silent: a 429 only for real accounts would tell that they
exist.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from pydantic import BaseModel
from sqlmodel import Session

from pixel_studio import job_queue
from pixel_studio.cache import Cache, get_cache
from pixel_studio.db import session_scope
from pixel_studio.mail import send_after_commit
from pixel_studio.models import User
from pixel_studio.services import rate_limits, users
from pixel_studio.services.accounts import account_mail, account_tokens, credentials
from pixel_studio.services.accounts.email_verification import mark_verified
from pixel_studio.services.errors import InvalidInput, RateLimited
from pixel_studio.settings import Settings, get_settings

log = logging.getLogger(__name__)
SENT = (
    "If an account matches, we have sent a link to its email address. "
    "It works once, for 30 minutes."
)
INVALID_LINK = "This reset link is not valid: it was already used, it expired, or it was mistyped."


class NewPassword(BaseModel):
    password: users.Password  # the sign-up rule


def request_reset(
    cache: Cache, settings: Settings, login: str, ip: str, enqueue: Callable[[str], None]
) -> str:
    """Ask for a reset link for the account `login` (username or email) names, if any.

    The request itself reads and writes nothing about accounts: it checks the network's
    limit and queues `send_reset_link`, so it takes the same time whether the account exists
    or not (finding it and writing its token would show in the timing). Returns SENT;
    RateLimited only for the network's limit, which says nothing about any account."""
    login = (login or "").strip().lower()
    if not login or len(login) > 320 or users.has_control_chars(login):
        raise InvalidInput("Enter your username or email.", field="login")
    limiter = rate_limits.limiter_for(cache)
    rate_limits.hit(limiter, rate_limits.MAIL_NETWORK, rate_limits.ip_key(ip), settings)
    enqueue(login)
    return SENT


def send_reset_link(session: Session, cache: Cache, settings: Settings, login: str) -> bool:
    """The queued half of `request_reset`: mail a link if `login` names a usable account and
    its hourly allowance has room (going over is silent: see the module). Caller commits;
    the mail goes out after the commit. Returns whether a link was issued."""
    user = users.find_by_login(session, login)
    key = f"acct:{user.id}" if user is not None else f"name:{login}"
    try:
        rate_limits.hit(rate_limits.limiter_for(cache), rate_limits.MAIL_ACCOUNT, key, settings)
    except RateLimited:
        log.info("password reset for %s dropped: over the per-account limit", key)
        return False
    if user is None or user.deleted_at is not None or user.suspended_at is not None:
        return False
    token = account_tokens.issue(
        session, settings, user.id or 0, account_tokens.RESET_PASSWORD, user.email
    )
    send_after_commit(
        session, account_mail.password_reset(settings, user.username, user.email, token), settings
    )
    return True


def run_password_reset(login: str) -> None:
    """The queued job: look the account up and mail it a link (the Celery task, the in-process
    worker)."""
    try:
        with session_scope() as session:
            send_reset_link(session, get_cache(), get_settings(), login)
    except Exception:  # logged, not raised: the person may simply ask again
        log.exception("password reset job failed")


def enqueue_password_reset(login: str, settings: Settings | None = None) -> None:
    """Schedule `run_password_reset(login)`: the part of "forgot password" that looks the
    account up, so the request takes the same time either way."""
    job_queue.send(
        job_queue.PASSWORD_RESET_TASK_NAME, login, run=run_password_reset, settings=settings
    )


def check_link(session: Session, settings: Settings, token: str) -> bool:
    """Whether the reset page should offer its form (nothing is spent)."""
    return account_tokens.peek(session, settings, token, account_tokens.RESET_PASSWORD) is not None


def reset_password(session: Session, settings: Settings, token: str, password: str) -> User:
    """Spend the link and set the new password; every session and API token ends, older reset
    links die, a notice goes to the address. Caller commits (the link is spent only then)."""
    new = users.parse(NewPassword, {"password": password}).password
    row = account_tokens.consume(session, settings, token, account_tokens.RESET_PASSWORD)
    if row is None:
        raise InvalidInput(INVALID_LINK)
    user = users.get_user(session, row.user_id)
    if user.deleted_at is not None or user.suspended_at is not None:
        raise InvalidInput(INVALID_LINK)
    user.password_hash = users.hash_password(new)
    if row.email == user.email:
        mark_verified(user)  # the link reached this address: it is the owner's
    session.add(user)
    account_tokens.retire(session, user.id or 0, account_tokens.RESET_PASSWORD)
    credentials.revoke_sessions(session, user.id or 0)
    credentials.delete_api_tokens(session, user.id or 0)
    session.flush()
    send_after_commit(
        session, account_mail.password_changed(settings, user.username, user.email), settings
    )
    return user
