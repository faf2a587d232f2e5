"""A real SMTP server (aiosmtpd) that collects mail, for tests.

Listens on a free loopback port in the test's own event loop, without TLS
(so a sender uses ``security="none"``), answers DATA as scripted, and keeps
every accepted message::

    async with smtp_receiver(answers=["451 4.3.0 Try again later"]) as mail:
        await deliver(email_channel, notification, opener=None, smtp=mail.settings())
        [message] = await mail.wait_for(1)
        assert message["Subject"].startswith("[Barito]")
"""

from __future__ import annotations

import asyncio
import email
import email.policy
import warnings
from collections import deque
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from email.message import EmailMessage
from typing import Any

from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session

from barito_common.settings import SmtpSettings
from barito_testing.ports import free_port

__all__ = ["ReceivedMail", "SmtpReceiver", "smtp_receiver"]


@dataclass(frozen=True)
class ReceivedMail:
    sender: str  # the envelope's MAIL FROM
    recipients: list[str]  # the envelope's RCPT TOs
    message: EmailMessage

    def __getitem__(self, header: str) -> Any:
        return self.message[header]

    @property
    def text(self) -> str:
        """The plain-text body."""
        part = self.message.get_body(preferencelist=("plain",))
        return "" if part is None else str(part.get_content())


class SmtpReceiver:
    def __init__(self, answers: Iterable[str], credentials: tuple[str, str] | None) -> None:
        self.host = "127.0.0.1"
        self.port = 0
        self.messages: list[ReceivedMail] = []
        self.refused = 0  # DATA commands answered with a scripted failure
        self._answers: deque[str] = deque(answers)
        self._credentials = credentials
        self._changed = asyncio.Condition()

    def answer(self, *replies: str) -> None:
        """Answer the next DATA commands so ("451 4.3.0 Try later"), in order; then 250."""
        self._answers.extend(replies)

    def settings(self, **overrides: Any) -> SmtpSettings:
        """Settings that send here (no TLS; the login, when this server wants one)."""
        login: dict[str, Any] = {}
        if self._credentials:
            login = {"username": self._credentials[0], "password": self._credentials[1]}
        fields = {"host": self.host, "port": self.port, "security": "none", "timeout_s": 5.0}
        return SmtpSettings.model_validate(fields | login | overrides)

    async def wait_for(self, count: int, timeout_s: float = 10.0) -> list[ReceivedMail]:
        """Wait until ``count`` messages were accepted; return them all."""
        try:
            async with asyncio.timeout(timeout_s):
                async with self._changed:
                    await self._changed.wait_for(lambda: len(self.messages) >= count)
        except TimeoutError:
            raise AssertionError(
                f"the SMTP receiver accepted {len(self.messages)} messages "
                f"(refused {self.refused}) within {timeout_s} s, waiting for {count}"
            ) from None
        return list(self.messages)

    # aiosmtpd's handler hook, named by its protocol.
    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        if self._answers:
            reply = self._answers.popleft()
            if not reply.startswith("250"):
                self.refused += 1
                return reply
        raw = envelope.original_content or b""
        message = email.message_from_bytes(raw, policy=email.policy.default)
        self.messages.append(
            ReceivedMail(
                sender=str(envelope.mail_from),
                recipients=[str(r) for r in envelope.rcpt_tos],
                message=message,
            )
        )
        async with self._changed:
            self._changed.notify_all()
        return "250 OK"

    def _authenticate(
        self, server: SMTP, session: Session, envelope: Envelope, mechanism: str, data: Any
    ) -> AuthResult:
        ok = (
            self._credentials is not None
            and isinstance(data, LoginPassword)
            and (data.login.decode(), data.password.decode()) == self._credentials
        )
        return AuthResult(success=ok, handled=False)


@asynccontextmanager
async def smtp_receiver(
    answers: Iterable[str] = (), *, credentials: tuple[str, str] | None = None
) -> AsyncIterator[SmtpReceiver]:
    """An :class:`SmtpReceiver` on a free loopback port while the block runs.

    ``credentials``: the server wants this login (AUTH without TLS, as only
    loopback is involved).
    """
    receiver = SmtpReceiver(answers, credentials)
    receiver.port = free_port()
    auth: dict[str, Any] = {}
    if credentials:
        auth = {
            "auth_required": True,
            "auth_require_tls": False,
            "authenticator": receiver._authenticate,
        }

    def session() -> SMTP:
        # aiosmtpd warns that AUTH without TLS is unsafe: true, and meant,
        # on loopback; the warning would fail a test run with warnings as errors.
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            return SMTP(receiver, hostname="barito-test", **auth)

    loop = asyncio.get_running_loop()
    server = await loop.create_server(session, host=receiver.host, port=receiver.port)
    try:
        yield receiver
    finally:
        server.close()
        await server.wait_closed()
