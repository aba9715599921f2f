"""Production mail: SMTP through SMTP_URL, with the standard library's smtplib.

    smtp://user:password@host:587    STARTTLS (required: never credentials or links in clear)
    smtps://user:password@host:465   TLS from the first byte
    smtp://host:25?starttls=off      a relay on the same machine or private network, no TLS

Query options: `starttls=off` (smtp:// only), `cafile=/path/ca.pem` (trust this CA, e.g. a
private relay's), `timeout=<seconds>` (default 20). User and password are URL-encoded.
Server certificates are always verified against the host name.
"""

from __future__ import annotations

import contextlib
import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from urllib.parse import parse_qs, unquote, urlsplit

from pixel_studio.mail.base import MailError, PermanentMailError


@dataclass(frozen=True)
class SmtpConfig:
    host: str
    port: int
    implicit_tls: bool
    starttls: bool
    username: str
    password: str
    cafile: str
    timeout: float

    @classmethod
    def parse(cls, url: str) -> SmtpConfig:
        """ValueError with a readable reason for a URL that cannot work."""
        parts = urlsplit(url.strip())
        if parts.scheme not in ("smtp", "smtps"):
            raise ValueError("SMTP_URL must start with smtp:// (STARTTLS) or smtps:// (TLS).")
        if not parts.hostname:
            raise ValueError("SMTP_URL names no host.")
        query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
        implicit = parts.scheme == "smtps"
        starttls = not implicit and query.get("starttls", "on").lower() not in ("off", "0", "no")
        username = unquote(parts.username or "")
        if username and not (implicit or starttls):
            raise ValueError("SMTP_URL sends a password without TLS: drop starttls=off.")
        try:
            timeout = float(query.get("timeout", "20"))
        except ValueError:
            raise ValueError("SMTP_URL's timeout must be a number of seconds.") from None
        return cls(
            host=parts.hostname,
            port=parts.port or (465 if implicit else 587),
            implicit_tls=implicit,
            starttls=starttls,
            username=username,
            password=unquote(parts.password or ""),
            cafile=query.get("cafile", ""),
            timeout=timeout,
        )


class SmtpMailer:
    def __init__(self, url: str) -> None:
        self.config = SmtpConfig.parse(url)

    def _tls(self) -> ssl.SSLContext:
        return ssl.create_default_context(cafile=self.config.cafile or None)

    def _connect(self) -> smtplib.SMTP:
        c = self.config
        if c.implicit_tls:
            return smtplib.SMTP_SSL(c.host, c.port, timeout=c.timeout, context=self._tls())
        client = smtplib.SMTP(c.host, c.port, timeout=c.timeout)
        if c.starttls:
            client.ehlo()
            if not client.has_extn("starttls"):
                client.quit()
                raise MailError(f"{c.host} does not offer STARTTLS")
            client.starttls(context=self._tls())
            client.ehlo()
        return client

    def send(self, message: EmailMessage) -> str:
        c = self.config
        try:
            client = self._connect()
            try:
                if c.username:
                    client.login(c.username, c.password)
                refused = client.send_message(message)
            finally:
                with contextlib.suppress(smtplib.SMTPException, OSError):
                    client.quit()
        except smtplib.SMTPAuthenticationError as exc:
            raise PermanentMailError(f"{c.host} refused the credentials: {exc.smtp_code}") from exc
        except smtplib.SMTPNotSupportedError as exc:  # no AUTH offered: fix the settings
            raise PermanentMailError(f"{c.host}: {exc}") from exc
        except smtplib.SMTPRecipientsRefused as exc:
            raise PermanentMailError(f"{c.host} refused the recipient") from exc
        except smtplib.SMTPResponseException as exc:
            # 4xx: try later (greylisting, a full queue). 5xx: it will not work next time.
            error = PermanentMailError if exc.smtp_code >= 500 else MailError
            raise error(f"{c.host} answered {exc.smtp_code}") from exc
        except (smtplib.SMTPException, OSError, ssl.SSLError) as exc:
            raise MailError(f"{c.host}:{c.port} unreachable: {exc}") from exc
        if refused:
            raise PermanentMailError(f"{c.host} refused {', '.join(refused)}")
        return f"{c.host}:{c.port}"
