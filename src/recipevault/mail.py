"""Outgoing mail: SMTP when configured, otherwise a local outbox folder (development).

Messages go out after the request's transaction commits (``db.on_commit``) and off the request
path, so a slow mail server neither delays the answer nor reveals, by timing, whether an account
exists. Logs name the recipient and subject, never the body: bodies carry single-use links.
"""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from pathlib import Path
from typing import Protocol

import aiosmtplib
import structlog

from recipevault.clock import utcnow
from recipevault.config import Settings

log = structlog.get_logger(__name__)


@dataclass(frozen=True, slots=True)
class MailMessage:
    to: str
    subject: str
    body: str


class Transport(Protocol):
    async def deliver(self, message: EmailMessage) -> str: ...


def _build(message: MailMessage, sender: str) -> EmailMessage:
    email = EmailMessage()
    email["From"] = sender
    email["To"] = message.to
    email["Subject"] = message.subject
    email["Date"] = formatdate(localtime=False)
    email["Message-ID"] = make_msgid(domain="recipevault.local")
    email.set_content(message.body)
    return email


class OutboxTransport:
    """Writes each message as an .eml file; open them with any mail program."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    async def deliver(self, message: EmailMessage) -> str:
        stamp = utcnow().strftime("%Y%m%dT%H%M%S%f")
        slug = re.sub(r"[^a-z0-9]+", "-", str(message["Subject"]).lower()).strip("-")[:40]
        path = self.folder / f"{stamp}-{slug}.eml"

        def write() -> None:
            self.folder.mkdir(parents=True, exist_ok=True)
            path.write_bytes(bytes(message))

        await asyncio.to_thread(write)
        return str(path)


class SmtpTransport:
    def __init__(self, settings: Settings) -> None:
        assert settings.smtp_host
        self.settings = settings

    async def deliver(self, message: EmailMessage) -> str:
        s = self.settings
        await aiosmtplib.send(
            message,
            hostname=s.smtp_host,
            port=s.smtp_port,
            username=s.smtp_username,
            password=s.smtp_password,
            use_tls=s.smtp_security == "tls",
            start_tls=True if s.smtp_security == "starttls" else None,
            timeout=30,
        )
        return f"smtp://{s.smtp_host}:{s.smtp_port}"


class Mailer:
    def __init__(self, transport: Transport, *, sender: str) -> None:
        self.transport = transport
        self.sender = sender
        self._pending: set[asyncio.Task[None]] = set()

    @classmethod
    def from_settings(cls, settings: Settings) -> Mailer:
        transport: Transport = (
            SmtpTransport(settings) if settings.smtp_host else OutboxTransport(settings.outbox_dir)
        )
        return cls(transport, sender=settings.mail_from)

    async def send(self, message: MailMessage) -> None:
        try:
            where = await self.transport.deliver(_build(message, self.sender))
        except Exception:
            log.exception("mail not sent", to=message.to, subject=message.subject)
            return
        log.info("mail sent", to=message.to, subject=message.subject, via=where)

    def send_later(self, message: MailMessage) -> None:
        task = asyncio.get_running_loop().create_task(self.send(message))
        self._pending.add(task)
        task.add_done_callback(self._pending.discard)

    async def drain(self) -> None:
        """Wait for messages still going out (at shutdown, and in tests)."""
        if self._pending:
            await asyncio.wait(set(self._pending))
