"""Email backends.

`OutboxBackend` is Django's EMAIL_BACKEND: whatever Django code sends (password reset, admin
errors) becomes an outbox row in the caller's transaction. The delivery job then sends rows through
the transport named by EMAIL_URL:

    smtp://user:password@host:25         plain SMTP (add ?tls=1 for STARTTLS, ?timeout=30)
    smtp+tls://user:password@host:587    SMTP with STARTTLS
    smtps://user:password@host:465       SMTP over TLS
    mailbox://                           kept in the back-office mailbox, nothing leaves the machine
    console://                           printed to standard output
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from urllib.parse import parse_qs, unquote, urlsplit

from django.core.exceptions import ImproperlyConfigured
from django.core.mail.backends.base import BaseEmailBackend
from django.core.mail.backends.console import EmailBackend as ConsoleBackend
from django.db import transaction

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


class OutboxBackend(BaseEmailBackend):
    """Django's email backend: each message is written to the outbox (delivered later by the outbox job)."""

    def send_messages(self, email_messages) -> int:
        from autosales.notifications.services import email_queue_message

        count = 0
        with transaction.atomic():
            for message in email_messages:
                if not message.recipients():
                    continue
                email_queue_message(message=message)
                count += 1
        return count


class MailboxTransport(BaseEmailBackend):
    """The demo's transport: the outbox row itself is the delivered copy, read on the back-office Mailbox page."""

    def send_messages(self, email_messages) -> int:
        return len(list(email_messages))


@dataclass(frozen=True)
class TransportConfig:
    scheme: str
    host: str = ""
    port: int = 0
    username: str = ""
    password: str = ""
    use_tls: bool = False
    use_ssl: bool = False
    timeout: float = 30.0

    @property
    def name(self) -> str:
        return "smtp" if self.scheme in {"smtp", "smtp+tls", "smtps"} else self.scheme

    def describe(self) -> str:
        if self.name != "smtp":
            return f"{self.scheme}://"
        who = f"{self.username}@" if self.username else ""
        security = " (TLS)" if self.use_ssl else " (STARTTLS)" if self.use_tls else ""
        return f"smtp://{who}{self.host}:{self.port}{security}"


def _flag(query: dict, name: str, default: bool) -> bool:
    values = query.get(name)
    if not values:
        return default
    value = values[-1].lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ImproperlyConfigured(f"EMAIL_URL: {name}= must be 1 or 0, not {value!r}")


def transport_config(url: str) -> TransportConfig:
    """Parse EMAIL_URL; ImproperlyConfigured names what is wrong."""
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    if scheme in {"mailbox", "console"}:
        return TransportConfig(scheme=scheme)
    if scheme not in {"smtp", "smtp+tls", "smtps"}:
        raise ImproperlyConfigured(
            f"EMAIL_URL: unknown scheme {parts.scheme or '(none)'!r}; use smtp://, smtp+tls://, smtps://, "
            "mailbox:// or console://"
        )
    if not parts.hostname:
        raise ImproperlyConfigured("EMAIL_URL: an smtp URL needs a host, e.g. smtp://mail.example.com:587")
    query = parse_qs(parts.query, keep_blank_values=True)
    try:
        port = parts.port
        timeout = float(query.get("timeout", ["30"])[-1])
    except ValueError as exc:
        raise ImproperlyConfigured(f"EMAIL_URL: {exc}") from None
    if timeout <= 0:
        raise ImproperlyConfigured("EMAIL_URL: timeout= must be a positive number of seconds")
    use_ssl = _flag(query, "ssl", scheme == "smtps")
    use_tls = _flag(query, "tls", scheme == "smtp+tls")
    if use_ssl and use_tls:
        raise ImproperlyConfigured("EMAIL_URL: choose one of TLS (smtps:// or ssl=1) and STARTTLS (tls=1)")
    default_port = 465 if use_ssl else 587 if use_tls else 25
    return TransportConfig(
        scheme=scheme,
        host=parts.hostname,
        port=port or default_port,
        username=unquote(parts.username or ""),
        password=unquote(parts.password or ""),
        use_tls=use_tls,
        use_ssl=use_ssl,
        timeout=timeout,
    )


def smtp_options(config: TransportConfig) -> dict:
    """The keyword arguments of Django's SMTP backend for an smtp URL."""
    return {
        "host": config.host,
        "port": config.port,
        "username": config.username or None,
        "password": config.password or None,
        "use_tls": config.use_tls,
        "use_ssl": config.use_ssl,
        "timeout": config.timeout,
    }


def transport_open(config: TransportConfig) -> BaseEmailBackend:
    """A Django backend that delivers in this process: the mailbox or the console. SMTP is sent from a process of
    its own (`notifications.smtp_process`, with `smtp_options`)."""
    if config.name == "mailbox":
        return MailboxTransport(fail_silently=False)
    if config.name == "console":
        return ConsoleBackend(fail_silently=False, stream=sys.stdout)
    raise ValueError(f"{config.describe()} is sent by notifications.smtp_process, not in this process")
