"""Reading the embedded outbox back (service, state and browser tests): the messages sent to
an address, parsed with the email package, and the link inside one."""

from __future__ import annotations

import re
import time
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path

LINK = re.compile(r"https?://\S+")


def mails_to(outbox: Path, address: str) -> list[EmailMessage]:
    """Every message in `outbox` addressed to `address`, oldest first (names sort by time)."""
    found: list[EmailMessage] = []
    for path in sorted(outbox.glob("*.eml")) if outbox.exists() else []:
        message = BytesParser(policy=policy.default).parsebytes(path.read_bytes())
        assert isinstance(message, EmailMessage)
        if message["To"] == address:
            found.append(message)
    return found


def wait_for_mail(
    outbox: Path, address: str, subject: str, count: int = 1, timeout: float = 15.0
) -> EmailMessage:
    """The `count`-th message to `address` whose subject starts with `subject`."""
    deadline = time.monotonic() + timeout
    while True:
        matching = [m for m in mails_to(outbox, address) if m["Subject"].startswith(subject)]
        if len(matching) >= count:
            return matching[count - 1]
        if time.monotonic() > deadline:
            raise AssertionError(f"no mail {subject!r} #{count} to {address} in {outbox}")
        time.sleep(0.1)


def text_of(message: EmailMessage) -> str:
    body = message.get_body(("plain",))
    assert body is not None
    return str(body.get_content())  # type: ignore[attr-defined]


def link_in(message: EmailMessage, path: str) -> str:
    """The link to `path` in the text part."""
    for url in LINK.findall(text_of(message)):
        if path in url:
            return str(url)
    raise AssertionError(f"no link to {path} in:\n{text_of(message)}")


def token_in(message: EmailMessage, path: str) -> str:
    return link_in(message, path).split("token=", 1)[1]
