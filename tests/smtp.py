"""A real SMTP server for the tests: aiosmtpd on loopback, keeping every message it accepts.

    server = SmtpServer().start()
    mailer = SmtpMailer(server.url)
    ...
    [got] = server.wait_for(1)
    got.message["Subject"], got.recipients

`on_message(received)` runs the moment a message has arrived, before the server answers it (a
test kills a worker there). `refuse` makes the server answer the data with that reply instead of
accepting it; `hang_up` makes it keep the message and close the connection without answering,
the case where the sender cannot know whether the message was delivered.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass
from email import message_from_bytes, policy
from email.message import EmailMessage

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword


@dataclass(frozen=True)
class Received:
    message: EmailMessage
    sender: str
    recipients: list[str]
    raw: bytes


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class SmtpServer:
    def __init__(self, credentials: tuple[str, str] | None = None):
        self.credentials = credentials
        self.received: list[Received] = []
        self.on_message: Callable[[Received], None] | None = None
        self.refuse: str | None = None
        self.hang_up = False
        self._arrived = threading.Condition()
        self._controller: Controller | None = None

    @property
    def port(self) -> int:
        return self._controller.port

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"

    def start(self) -> SmtpServer:
        extra = {}
        if self.credentials:
            extra = dict(authenticator=self._authenticate, auth_require_tls=False)
        self._controller = Controller(self, hostname="127.0.0.1", port=_free_port(),
                                      enable_SMTPUTF8=True, **extra)
        self._controller.start()
        return self

    def stop(self) -> None:
        self._controller.stop()

    def clear(self) -> None:
        with self._arrived:
            self.received.clear()
        self.on_message, self.refuse, self.hang_up = None, None, False

    def wait_for(self, n: int, timeout: float = 10) -> list[Received]:
        """The first `n` messages, once they have arrived; AssertionError after `timeout`."""
        with self._arrived:
            if not self._arrived.wait_for(lambda: len(self.received) >= n, timeout):
                raise AssertionError(f"expected {n} messages, got {len(self.received)}")
            return list(self.received[:n])

    async def handle_DATA(self, server, session, envelope) -> str:
        if self.refuse:
            return self.refuse
        received = Received(message_from_bytes(envelope.content, policy=policy.default),
                            envelope.mail_from, list(envelope.rcpt_tos), envelope.content)
        if self.on_message:
            self.on_message(received)
        with self._arrived:
            self.received.append(received)
            self._arrived.notify_all()
        if self.hang_up:
            server.transport.close()
        return "250 OK"

    def _authenticate(self, server, session, envelope, mechanism, auth_data) -> AuthResult:
        if not isinstance(auth_data, LoginPassword):
            return AuthResult(success=False, handled=False)
        given = (auth_data.login.decode(), auth_data.password.decode())
        return AuthResult(success=given == self.credentials, handled=False)
