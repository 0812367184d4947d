"""The outbox delivery job: claim due emails, send them over EMAIL_URL outside any transaction, record each outcome."""

from __future__ import annotations

import base64
import datetime as dt
import logging
import smtplib
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.mail import EmailMultiAlternatives
from django.core.mail.backends.base import BaseEmailBackend
from django.db import DatabaseError

from autosales.core import clock
from autosales.core.errors import DomainError
from autosales.jobs.claims import worker_id
from autosales.jobs.registry import JobResult, job
from autosales.notifications.backends import transport_open
from autosales.notifications.models import OutboxEmail
from autosales.notifications.services import outbox_email_render
from autosales.notifications.transitions import (
    outbox_claim_due,
    outbox_mark_failed,
    outbox_mark_retry,
    outbox_mark_sent,
)

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Failure:
    temporary: bool
    reason: str
    # The connection is unusable: close it and stop sending this batch over it.
    connection_lost: bool = False


def _smtp_text(code: int, message: bytes | str) -> str:
    text = message.decode(errors="replace") if isinstance(message, bytes) else str(message)
    return f"SMTP {code} {text}".strip()


def classify_failure(exc: BaseException) -> Failure:
    """Temporary (retry with backoff) or permanent (give up): 4xx, timeouts and refused connections are temporary."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _ in exc.recipients.values()]
        reason = "; ".join(f"{rcpt}: {_smtp_text(code, msg)}" for rcpt, (code, msg) in exc.recipients.items())
        return Failure(temporary=any(400 <= code < 500 for code in codes), reason=f"recipient refused: {reason}")
    if isinstance(exc, smtplib.SMTPAuthenticationError):
        # A wrong password is the operator's to fix; keep the emails until it is.
        return Failure(temporary=True, reason=f"login refused: {_smtp_text(exc.smtp_code, exc.smtp_error)}")
    if isinstance(exc, smtplib.SMTPResponseException):
        temporary = not 500 <= exc.smtp_code < 600
        return Failure(temporary=temporary, reason=_smtp_text(exc.smtp_code, exc.smtp_error))
    if isinstance(exc, smtplib.SMTPServerDisconnected | OSError):
        return Failure(temporary=True, reason=f"cannot reach the mail server: {exc}", connection_lost=True)
    if isinstance(exc, smtplib.SMTPException):
        return Failure(temporary=True, reason=f"{type(exc).__name__}: {exc}", connection_lost=True)
    return Failure(temporary=True, reason=f"{type(exc).__name__}: {exc}")


def render_failure(exc: BaseException, *, template: str) -> Failure:
    """Why an email could not be rendered: the database being away is temporary, a broken template or address is not."""
    reason = exc.message if isinstance(exc, DomainError) else f"{type(exc).__name__}: {exc}"
    return Failure(temporary=isinstance(exc, DatabaseError), reason=f"cannot render emails/{template}: {reason}")


def _render(*, email: OutboxEmail, worker: str) -> Failure | None:
    """Renders a template email not rendered yet and keeps the result on its row (so every retry sends the same)."""
    if email.is_rendered:
        return None
    try:
        subject, text, html = outbox_email_render(email=email)
    except Exception as exc:
        log.warning("email %s cannot be rendered", email.message_id, exc_info=True)
        return render_failure(exc, template=email.template)
    fields = {"subject": subject[:998], "body_text": text, "body_html": html}
    OutboxEmail.objects.filter(pk=email.pk, claimed_by=worker).update(**fields, updated_at=clock.now())
    for name, value in fields.items():
        setattr(email, name, value)
    return None


def _poisoned(email: OutboxEmail) -> Failure | None:
    """An email claimed once more than allowed: every try before stopped its worker without an outcome."""
    if email.attempts <= settings.OUTBOX_MAX_ATTEMPTS:
        return None
    return Failure(
        temporary=False,
        reason=f"gave up after {email.attempts - 1} attempts; the worker stopped while sending it each time",
    )


def message_for(*, email: OutboxEmail, connection: BaseEmailBackend) -> EmailMultiAlternatives:
    """The email as it goes on the wire, with the row's message id as its Message-ID."""
    message = EmailMultiAlternatives(
        subject=email.subject,
        body=email.body_text,
        from_email=email.from_email or settings.DEFAULT_FROM_EMAIL,
        to=email.to,
        cc=email.cc,
        bcc=email.bcc,
        reply_to=email.reply_to,
        headers={**email.headers, "Message-ID": f"<{email.message_id}>"},
        connection=connection,
    )
    if email.body_html:
        message.attach_alternative(email.body_html, "text/html")
    for attachment in email.attachments:
        message.attach(attachment["filename"], base64.b64decode(attachment["content_b64"]), attachment["mimetype"])
    return message


def _close(transport: BaseEmailBackend) -> None:
    try:
        transport.close()
    except Exception:
        log.debug("closing the mail connection failed", exc_info=True)


def outbox_deliver_pass(
    *, worker: str | None = None, batch_size: int | None = None, max_batches: int = 100
) -> JobResult:
    """Send due emails until none is due (at most `max_batches` batches); each row is sent by one worker only."""
    worker = worker or worker_id()
    batch_size = batch_size or settings.OUTBOX_BATCH_SIZE
    sent = failures = 0
    last_error = ""
    try:
        transport_name, transport = transport_open(settings.EMAIL_URL)
        config_error = ""
    except ImproperlyConfigured as exc:
        transport_name, transport, config_error = "", None, str(exc)
    for _ in range(max_batches):
        batch = outbox_claim_due(worker=worker, limit=batch_size)
        if not batch:
            break
        unreachable = config_error
        for email in batch:
            refused = _poisoned(email) or _render(email=email, worker=worker)
            if refused is not None:
                if refused.temporary:
                    outbox_mark_retry(email=email, worker=worker, error=refused.reason)
                else:
                    outbox_mark_failed(email=email, worker=worker, error=refused.reason)
                failures += 1
                last_error = refused.reason
                continue
            if unreachable:
                outbox_mark_retry(email=email, worker=worker, error=unreachable)
                failures += 1
                last_error = unreachable
                continue
            try:
                transport.open()
                transport.send_messages([message_for(email=email, connection=transport)])
            except Exception as exc:
                failure = classify_failure(exc)
                log.warning("email %s not sent: %s", email.message_id, failure.reason)
                if failure.temporary:
                    outbox_mark_retry(email=email, worker=worker, error=failure.reason)
                else:
                    outbox_mark_failed(email=email, worker=worker, error=failure.reason)
                failures += 1
                last_error = failure.reason
                if failure.connection_lost:
                    _close(transport)
                    # One more try on a fresh connection for the next email; if that fails too, the server
                    # is down and the rest of the batch waits for the backoff rather than a timeout each.
                    try:
                        transport.open()
                    except Exception as reopen_exc:
                        unreachable = classify_failure(reopen_exc).reason
                continue
            if outbox_mark_sent(email=email, worker=worker, transport=transport_name):
                sent += 1
            else:
                log.warning("email %s was sent after its lease ran out", email.message_id)
        if transport is not None:
            _close(transport)
        if unreachable:
            break
    return JobResult(items=sent, failures=failures, error=last_error)


@job("outbox.deliver", every=dt.timedelta(seconds=settings.OUTBOX_DELIVERY_SECONDS), exclusive=False)
def outbox_deliver() -> JobResult:
    """Deliver the emails that are due."""
    return outbox_deliver_pass()
