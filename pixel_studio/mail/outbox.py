"""The embedded profile's mailer: each message becomes an .eml file under DATA_DIR/outbox.

Nothing leaves the machine; a person running `make run` opens the file (any mail client reads
.eml) or follows the link the log line prints. The file appears whole or not at all: written
under a temporary name, then renamed.
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import uuid
from email.message import EmailMessage
from pathlib import Path

from pixel_studio.db import utcnow
from pixel_studio.mail.base import MailError

log = logging.getLogger(__name__)
_UNSAFE = re.compile(r"[^a-z0-9]+")


class OutboxMailer:
    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def send(self, message: EmailMessage) -> str:
        # Sortable by time, unique, and with a hint of the subject for a person listing them.
        subject = _UNSAFE.sub("-", str(message["Subject"] or "").lower()).strip("-")[:40]
        name = f"{utcnow():%Y%m%dT%H%M%S%f}-{uuid.uuid4().hex[:8]}-{subject or 'mail'}.eml"
        path = self.directory / name
        tmp = self.directory / f".{name}.tmp"
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            tmp.write_bytes(message.as_bytes())
            os.replace(tmp, path)
        except OSError as exc:  # a full or read-only disk may clear up: retry
            with contextlib.suppress(OSError):
                tmp.unlink(missing_ok=True)
            raise MailError(f"could not write {path}: {exc}") from exc
        log.info("mail to %s written to %s", message["To"], path)
        return str(path)
