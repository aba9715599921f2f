"""Outgoing email behind one interface: SMTP when SMTP_URL is set, else .eml files in the outbox.

Services never send mail themselves: they call `send_after_commit(session, message)`, and the
message is handed to the queue only once the transaction that made its token commits (a
rolled-back sign-up sends nothing, and a link never points at a row that is not there yet).
The queue is Celery when a broker is configured (workers/tasks.py, with retries and backoff)
or one in-process thread (dispatch.py, the same retries) in the embedded profile.
"""

from __future__ import annotations

from pixel_studio.mail.base import (
    SITE_NAME,
    Link,
    Mailer,
    MailError,
    Message,
    PermanentMailError,
    build,
    sender,
    site_link,
)
from pixel_studio.mail.dispatch import (
    deliver,
    deliver_payload,
    get_mailer,
    retry_delay,
    send_after_commit,
    wait_idle,
)

__all__ = [
    "SITE_NAME",
    "Link",
    "MailError",
    "Mailer",
    "Message",
    "PermanentMailError",
    "build",
    "deliver",
    "deliver_payload",
    "get_mailer",
    "retry_delay",
    "send_after_commit",
    "sender",
    "site_link",
    "wait_idle",
]
