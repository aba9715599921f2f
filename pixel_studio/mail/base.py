"""What a message is, and the one call every way of sending one implements.

A `Message` is plain data (it crosses the Celery broker as JSON); `build` turns it into an
RFC 5322 message with a text part and an HTML part, the site's name and a From address.
"""

from __future__ import annotations

import html
import uuid
from dataclasses import asdict, dataclass
from email.message import EmailMessage
from email.utils import format_datetime, formataddr, make_msgid
from typing import Any, Protocol
from urllib.parse import urlsplit

from pixel_studio.db import utcnow
from pixel_studio.settings import Settings

SITE_NAME = "Pixel Studio"


class MailError(Exception):
    """A send that failed but may work later (server down, 4xx reply): the job retries it."""


class PermanentMailError(MailError):
    """A send that will never work (bad address, 5xx reply, bad credentials): not retried."""


@dataclass(frozen=True)
class Link:
    """A call to action: the button in HTML, the bare URL in text."""

    label: str
    url: str


@dataclass(frozen=True)
class Message:
    """One email: who to, the subject, paragraphs of plain text, and at most one link."""

    to: str
    subject: str
    paragraphs: tuple[str, ...]
    link: Link | None = None
    # Why the person got it: the footer's line ("You signed up at ...").
    reason: str = ""

    def to_payload(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_payload(cls, data: dict[str, Any]) -> Message:
        link = data.get("link")
        return cls(
            to=str(data["to"]),
            subject=str(data["subject"]),
            paragraphs=tuple(str(p) for p in data.get("paragraphs", ())),
            link=Link(str(link["label"]), str(link["url"])) if link else None,
            reason=str(data.get("reason", "")),
        )


class Mailer(Protocol):
    """Deliver one built message, or raise MailError (retry) / PermanentMailError (give up).

    Returns where it went, for the log: the server's name, or the .eml file."""

    def send(self, message: EmailMessage) -> str: ...


def site_link(settings: Settings, path: str) -> str:
    """An absolute link into the site, from SITE_URL (never from a request's Host header)."""
    return settings.site_url.strip().rstrip("/") + "/" + path.lstrip("/")


def sender(settings: Settings) -> str:
    """MAIL_FROM, or "Pixel Studio <no-reply@SITE_URL's host>"."""
    if settings.mail_from.strip():
        return settings.mail_from.strip()
    host = (urlsplit(settings.site_url).hostname or "localhost").lower()
    return formataddr((SITE_NAME, f"no-reply@{host}"))


def _text_body(message: Message) -> str:
    lines = [*message.paragraphs]
    if message.link is not None:
        lines.append(f"{message.link.label}: {message.link.url}")
    footer = f"— {SITE_NAME}"
    if message.reason:
        footer += f"\n{message.reason}"
    return "\n\n".join([*lines, footer]) + "\n"


def _html_body(message: Message) -> str:
    # Every piece of text is escaped: usernames and addresses are the user's own words.
    esc = html.escape
    paragraphs = "".join(f"<p>{esc(p)}</p>" for p in message.paragraphs)
    button = ""
    if message.link is not None:
        url = esc(message.link.url, quote=True)
        button = (
            f'<p><a href="{url}" style="display:inline-block;padding:10px 18px;'
            f'background:#6e56cf;color:#ffffff;border-radius:6px;text-decoration:none">'
            f"{esc(message.link.label)}</a></p>"
            f'<p style="font-size:12px;color:#60646c">Or paste this address into your '
            f"browser: {esc(message.link.url)}</p>"
        )
    reason = f"<br>{esc(message.reason)}" if message.reason else ""
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        f"<title>{esc(message.subject)}</title></head>"
        '<body style="font-family:system-ui,sans-serif;color:#1c2024;max-width:560px">'
        f'<h1 style="font-size:20px">{esc(SITE_NAME)}</h1>{paragraphs}{button}'
        f'<p style="font-size:12px;color:#60646c">— {esc(SITE_NAME)}{reason}</p>'
        "</body></html>"
    )


def build(message: Message, settings: Settings) -> EmailMessage:
    """The RFC 5322 message: multipart/alternative, text first (the fallback), then HTML."""
    email = EmailMessage()
    email["Subject"] = f"{message.subject} · {SITE_NAME}"
    email["From"] = sender(settings)
    email["To"] = message.to
    email["Date"] = format_datetime(utcnow())
    domain = (urlsplit(settings.site_url).hostname or "localhost").lower()
    email["Message-ID"] = make_msgid(idstring=uuid.uuid4().hex[:12], domain=domain)
    email["Auto-Submitted"] = "auto-generated"  # RFC 3834: no vacation replies, please
    email.set_content(_text_body(message))
    email.add_alternative(_html_body(message), subtype="html")
    return email
