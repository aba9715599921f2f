"""The mail component: .eml files in the outbox, SMTP with STARTTLS / implicit TLS and AUTH
against a real server on loopback, retries with backoff, and sending only after commit."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path
from urllib.parse import quote

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session

from pixel_studio import mail
from pixel_studio.mail import Link, MailError, Message, PermanentMailError
from pixel_studio.mail.outbox import OutboxMailer
from pixel_studio.mail.smtp import SmtpConfig
from pixel_studio.settings import Settings
from tests.mail.smtp_peer import PASSWORD, USER, free_port, self_signed, smtp_server

HOSTILE = Message(
    to="ann@example.com",
    subject="Confirm your email address",
    paragraphs=("Welcome, <script>alert(1)</script> & friends!",),
    link=Link("Confirm", "https://studio.example/verify?token=a.b&x=<1>"),
    reason="You signed up.",
)


@pytest.fixture(scope="module")
def cert(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    return self_signed(tmp_path_factory.mktemp("tls"))


def make_settings(tmp_path: Path, **extra: str) -> Settings:
    return Settings(  # type: ignore[call-arg]
        _env_file=None,
        data_dir=tmp_path,
        secret_key="test-secret",
        site_url="https://studio.example",
        **extra,
    )


def parse(raw: bytes) -> EmailMessage:
    parsed = BytesParser(policy=policy.default).parsebytes(raw)
    assert isinstance(parsed, EmailMessage)
    return parsed


def parts(message: EmailMessage) -> tuple[str, str]:
    text = message.get_body(("plain",))
    html = message.get_body(("html",))
    assert text is not None and html is not None
    return str(text.get_content()), str(html.get_content())  # type: ignore[attr-defined]


def test_outbox_writes_an_rfc5322_file_with_text_and_escaped_html(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    settings = make_settings(tmp_path)
    with caplog.at_level("INFO", logger="pixel_studio.mail.outbox"):
        where = mail.deliver(HOSTILE, settings)
    files = sorted(settings.outbox_dir.glob("*.eml"))
    assert [str(f) for f in files] == [where]
    assert any(where in record.getMessage() for record in caplog.records)  # a line names it
    message = parse(files[0].read_bytes())
    assert message["To"] == "ann@example.com"
    assert message["Subject"] == "Confirm your email address · Pixel Studio"
    assert message["From"] == "Pixel Studio <no-reply@studio.example>"
    assert message["Message-ID"].endswith("@studio.example>")
    assert message.get_content_type() == "multipart/alternative"
    text, html = parts(message)
    assert "<script>alert(1)</script>" in text  # plain text is shown as text
    assert "https://studio.example/verify?token=a.b&x=<1>" in text
    assert "<script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt; &amp; friends" in html
    assert 'href="https://studio.example/verify?token=a.b&amp;x=&lt;1&gt;"' in html
    assert "Pixel Studio" in text and "Pixel Studio" in html
    assert not list(settings.outbox_dir.glob(".*.tmp"))  # written whole, then renamed


def test_mail_from_setting_and_site_links(tmp_path: Path) -> None:
    settings = make_settings(tmp_path, mail_from="Studio <hello@studio.example>")
    assert mail.sender(settings) == "Studio <hello@studio.example>"
    assert mail.site_link(settings, "/verify?token=x") == "https://studio.example/verify?token=x"


def test_outbox_on_an_unwritable_path_is_a_retryable_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    with pytest.raises(MailError) as info:
        OutboxMailer(blocker / "outbox").send(mail.build(HOSTILE, make_settings(tmp_path)))
    assert not isinstance(info.value, PermanentMailError)


def test_smtp_url_parsing() -> None:
    c = SmtpConfig.parse("smtp://me%40x.org:p%3Ass@mail.example:2525?cafile=/ca.pem&timeout=3")
    assert (c.host, c.port, c.starttls, c.implicit_tls) == ("mail.example", 2525, True, False)
    assert (c.username, c.password, c.cafile, c.timeout) == ("me@x.org", "p:ss", "/ca.pem", 3.0)
    assert SmtpConfig.parse("smtps://mail.example").port == 465
    assert SmtpConfig.parse("smtp://mail.example").port == 587
    assert not SmtpConfig.parse("smtp://relay:25?starttls=off").starttls
    for bad in ("http://mail.example", "smtp://", "smtp://u:p@relay:25?starttls=off"):
        with pytest.raises(ValueError):
            SmtpConfig.parse(bad)


def smtp_url(port: int, cert: tuple[Path, Path], scheme: str = "smtp", pw: str = PASSWORD) -> str:
    return f"{scheme}://{USER}:{quote(pw)}@127.0.0.1:{port}?cafile={cert[0]}&timeout=5"


def test_smtp_starttls_with_auth(tmp_path: Path, cert: tuple[Path, Path]) -> None:
    with smtp_server(cert) as (port, inbox):
        settings = make_settings(tmp_path, smtp_url=smtp_url(port, cert))
        assert mail.deliver(HOSTILE, settings) == f"127.0.0.1:{port}"
    assert inbox.logins == [USER]
    [(envelope, message)] = inbox.messages
    assert envelope.rcpt_tos == ["ann@example.com"]
    text, html = parts(message)
    assert "https://studio.example/verify?token=a.b&x=<1>" in text
    assert "&lt;script&gt;" in html
    assert not list(settings.outbox_dir.glob("*.eml")) if settings.outbox_dir.exists() else True


def test_smtps_implicit_tls_with_auth(tmp_path: Path, cert: tuple[Path, Path]) -> None:
    with smtp_server(cert, implicit_tls=True) as (port, inbox):
        settings = make_settings(tmp_path, smtp_url=smtp_url(port, cert, scheme="smtps"))
        mail.deliver(HOSTILE, settings)
    assert inbox.logins == [USER]
    assert len(inbox.messages) == 1


def test_smtp_failures_are_told_apart(tmp_path: Path, cert: tuple[Path, Path]) -> None:
    with smtp_server(cert) as (port, inbox):
        wrong = make_settings(tmp_path, smtp_url=smtp_url(port, cert, pw="wrong"))
        with pytest.raises(PermanentMailError):  # retrying bad credentials never helps
            mail.deliver(HOSTILE, wrong)
        untrusted = make_settings(
            tmp_path, smtp_url=f"smtp://{USER}:{quote(PASSWORD)}@127.0.0.1:{port}?timeout=5"
        )
        with pytest.raises(MailError):  # a certificate we do not trust: never send
            mail.deliver(HOSTILE, untrusted)
    assert inbox.messages == []
    down = make_settings(tmp_path, smtp_url=smtp_url(free_port(), cert))
    with pytest.raises(MailError) as info:
        mail.deliver(HOSTILE, down)
    assert not isinstance(info.value, PermanentMailError)


def test_retry_delays_double_up_to_a_cap() -> None:
    assert [mail.retry_delay(n, 5, 120) for n in range(1, 7)] == [5, 10, 20, 40, 80, 120]


def test_the_in_process_queue_retries_until_the_server_is_up(
    tmp_path: Path, cert: tuple[Path, Path]
) -> None:
    from pixel_studio.mail import dispatch

    port = free_port()
    settings = make_settings(tmp_path, smtp_url=smtp_url(port, cert))
    started = time.monotonic()
    dispatch.enqueue(HOSTILE, settings, base_delay=0.3)  # tries at 0, 0.3, 0.9, 2.1 s
    time.sleep(0.5)  # the first attempts meet a closed port
    with smtp_server(cert, port=port) as (_, inbox):
        assert inbox.arrived.wait(10), "the queued mail never arrived"
        mail.wait_idle(10)
    assert len(inbox.messages) == 1
    assert time.monotonic() - started >= 0.5


@pytest.fixture
def outbox_settings(tmp_path: Path) -> Iterator[Settings]:
    yield make_settings(tmp_path)
    mail.wait_idle(10)


def test_sent_only_after_commit(db: Engine, outbox_settings: Settings) -> None:
    outbox = outbox_settings.outbox_dir
    with Session(db) as session:
        mail.send_after_commit(session, HOSTILE, outbox_settings)
        session.rollback()
    with Session(db) as session:
        session.commit()  # a later commit of the same kind of session sends nothing stale
    mail.wait_idle(10)
    assert not outbox.exists() or not list(outbox.glob("*.eml"))
    with Session(db) as session:
        mail.send_after_commit(session, HOSTILE, outbox_settings)
        mail.wait_idle(10)
        assert not outbox.exists() or not list(outbox.glob("*.eml"))  # not before the commit
        session.commit()
    mail.wait_idle(10)
    assert len(list(outbox.glob("*.eml"))) == 1


def test_concurrent_sends_each_write_their_own_file(outbox_settings: Settings) -> None:
    threads = [
        threading.Thread(target=mail.deliver, args=(HOSTILE, outbox_settings)) for _ in range(8)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(list(outbox_settings.outbox_dir.glob("*.eml"))) == 8
