"""A real SMTP server on loopback for tests (aiosmtpd), as a pytest fixture.

    def test_confirmation_email(smtp_server):
        ... place an order (writes an outbox row) ...
        [message] = smtp_server.deliver()          # runs one outbox delivery pass
        assert message["Subject"] == "..."

`smtp_server` listens on 127.0.0.1 on a free port and points EMAIL_URL at itself. It can be
stopped and started again on the same port (an outage), and made to refuse recipients.
"""

from __future__ import annotations

import email
import logging
import socket
import threading
import time
from collections import Counter
from email import policy
from email.message import EmailMessage

import pytest
from aiosmtpd.controller import Controller

# aiosmtpd logs every SMTP command at INFO; keep test output to what matters.
logging.getLogger("mail.log").setLevel(logging.WARNING)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class _Handler:
    def __init__(self, server: SMTPServer):
        self.server = server

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        reply = self.server.refusals.get(address.lower())
        if reply:
            return reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        message = email.message_from_bytes(envelope.content, policy=policy.default)
        with self.server.lock:
            self.server.received.append((list(envelope.rcpt_tos), message))
        return "250 Message accepted for delivery"


class SMTPServer:
    """An SMTP server that keeps what it receives; `stop()`/`start()` simulate an outage."""

    def __init__(self, port: int | None = None):
        self.host = "127.0.0.1"
        self.port = port or free_port()
        self.lock = threading.Lock()
        self.received: list[tuple[list[str], EmailMessage]] = []
        self.refusals: dict[str, str] = {}
        self._controller: Controller | None = None

    @property
    def url(self) -> str:
        return f"smtp://{self.host}:{self.port}?timeout=10"

    @property
    def running(self) -> bool:
        return self._controller is not None

    def start(self) -> None:
        if self._controller is None:
            self._controller = Controller(_Handler(self), hostname=self.host, port=self.port)
            self._controller.start()

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def refuse(self, address: str, reply: str = "550 5.1.1 No such user here") -> None:
        """Answer RCPT TO:<address> with `reply` (5xx: permanent, 4xx: temporary)."""
        self.refusals[address.lower()] = reply

    def accept(self, address: str) -> None:
        self.refusals.pop(address.lower(), None)

    @property
    def messages(self) -> list[EmailMessage]:
        with self.lock:
            return [message for _, message in self.received]

    def envelope_recipients(self) -> list[list[str]]:
        with self.lock:
            return [rcpts for rcpts, _ in self.received]

    def message_ids(self) -> Counter:
        """How many times each Message-ID (without brackets) arrived."""
        return Counter(str(m["Message-ID"]).strip("<>") for m in self.messages)

    def clear(self) -> None:
        with self.lock:
            self.received.clear()

    def wait_for(self, count: int, *, timeout: float = 60) -> list[EmailMessage]:
        """Wait until at least `count` messages arrived (for deliveries by another process)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if len(self.messages) >= count:
                break
            time.sleep(0.1)
        return self.messages

    def deliver(self):
        """Run one outbox delivery pass in this process; returns the messages that arrived during it."""
        from autosales.notifications.delivery import outbox_deliver_pass

        before = len(self.messages)
        outbox_deliver_pass()
        return self.messages[before:]


@pytest.fixture
def smtp_server(settings):
    """A running SMTP server on loopback, with EMAIL_URL pointing at it."""
    server = SMTPServer()
    server.start()
    settings.EMAIL_URL = server.url
    try:
        yield server
    finally:
        from autosales.notifications.delivery import outbox_connection_close

        outbox_connection_close()  # the connection this thread's delivery kept open to it
        server.stop()
