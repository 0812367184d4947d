"""The outbox delivery job: claim due emails, send them over EMAIL_URL outside any transaction, record each outcome."""

from __future__ import annotations

import base64
import datetime as dt
import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import ALL_COMPLETED, Future, wait
from dataclasses import dataclass, field

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.mail import EmailMultiAlternatives
from django.core.mail.backends.base import BaseEmailBackend
from django.db import DatabaseError
from django.utils import translation

from autosales.core import clock
from autosales.core.errors import DomainError
from autosales.jobs.claims import BatchPace, claims_extend, claims_write_each, worker_id
from autosales.jobs.registry import JobResult, job
from autosales.jobs.services import job_more_work
from autosales.notifications.attachments import RENDER, attachment_render
from autosales.notifications.backends import smtp_options, transport_config, transport_open
from autosales.notifications.context import references_load
from autosales.notifications.mime import Part, Wire
from autosales.notifications.mime import wire as mime_wire
from autosales.notifications.models import OutboxEmail
from autosales.notifications.services import outbox_email_render
from autosales.notifications.smtp_process import Failure, SendFailed, SMTPProcess, classify_failure
from autosales.notifications.transitions import outbox_claim_due, outbox_record

log = logging.getLogger(__name__)

# How long an email takes here: batches are sized to fit well inside OUTBOX_LEASE_SECONDS (a slow server, smaller
# batches), at most OUTBOX_BATCH_SIZE.
_pace = BatchPace(first_guess_seconds=0.05)
# The first batches of a pass, when they are to be smaller than the pace allows: a batch is claimed and rendered
# while the one before is being sent, and rendering an email takes about a third of the time a server on the same
# machine takes to accept one, so each batch may be three times the one before without the server waiting.
RAMP = (25, 75)


def render_failure(exc: BaseException, *, template: str) -> Failure:
    """Why an email could not be rendered: the database being away is temporary, a broken template or address is not."""
    reason = exc.message if isinstance(exc, DomainError) else f"{type(exc).__name__}: {exc}"
    return Failure(temporary=isinstance(exc, DatabaseError), reason=f"cannot render emails/{template}: {reason}")


def _render_batch(emails: list[OutboxEmail], *, worker: str) -> dict[int, Failure]:
    """Renders the batch's template emails not rendered yet and keeps the results on their rows (so every retry
    sends the same): the objects they refer to are loaded once for the batch, the results written with one
    statement. Returns why each email that could not be rendered was refused, by pk."""
    refused: dict[int, Failure] = {}
    waiting = [email for email in emails if not email.is_rendered]
    if not waiting:
        return refused
    try:
        loaded = references_load([email.context for email in waiting])
    except Exception:
        loaded = None  # each email then loads its own, and says what is wrong with it
    rendered = []
    for email in waiting:
        try:
            subject, text, html = outbox_email_render(email=email, loaded=loaded)
        except Exception as exc:
            log.warning("email %s cannot be rendered", email.message_id, exc_info=True)
            refused[email.pk] = render_failure(exc, template=email.template)
            continue
        email.subject, email.body_text, email.body_html = subject[:998], text, html
        rendered.append(email)
    claims_write_each(
        model=OutboxEmail,
        worker=worker,
        fields=["subject", "body_text", "body_html"],
        rows={email.pk: (email.subject, email.body_text, email.body_html) for email in rendered},
        common={"updated_at": clock.now()},
    )
    return refused


def _poisoned(email: OutboxEmail) -> Failure | None:
    """An email claimed once more than allowed: every try before stopped its worker without an outcome."""
    if email.attempts <= settings.OUTBOX_MAX_ATTEMPTS:
        return None
    return Failure(
        temporary=False,
        reason=f"gave up after {email.attempts - 1} attempts; the worker stopped while sending it each time",
    )


def _attachments(email: OutboxEmail) -> list[Part]:
    """The row's files: kept ones decoded, referenced ones (an invoice's PDF) made now."""
    parts = []
    for attachment in email.attachments:
        if RENDER in attachment:
            # In the email's language, like its words: an invoice's PDF for a Spanish customer is in Spanish.
            with translation.override(email.language or settings.LANGUAGE_CODE):
                made = attachment_render(attachment)
            parts.append(Part(filename=made.filename, content=made.content, mimetype=made.mimetype))
            continue
        content = base64.b64decode(attachment["content_b64"])
        parts.append(Part(filename=attachment["filename"], content=content, mimetype=attachment["mimetype"]))
    return parts


def message_for(*, email: OutboxEmail, connection: BaseEmailBackend | None) -> EmailMultiAlternatives:
    """The email as Django's backends take it (mailbox, console), with the row's message id as its Message-ID."""
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
    for part in _attachments(email):
        message.attach(part.filename, part.content, part.mimetype)
    return message


def wire_for(email: OutboxEmail) -> Wire:
    """The email as it goes over SMTP (`notifications.mime`): the same message as `message_for`, written directly."""
    return mime_wire(
        message_id=email.message_id,
        from_email=email.from_email or settings.DEFAULT_FROM_EMAIL,
        to=email.to,
        cc=email.cc,
        bcc=email.bcc,
        reply_to=email.reply_to,
        subject=email.subject,
        body_text=email.body_text,
        body_html=email.body_html,
        headers=email.headers,
        attachments=_attachments(email),
    )


def _close(transport: BaseEmailBackend) -> None:
    try:
        transport.close()
    except Exception:
        log.debug("closing the mail connection failed", exc_info=True)


@dataclass
class _Kept:
    """The transport to EMAIL_URL that a worker thread keeps from one batch and pass to the next: over SMTP, the
    thread's `SMTPProcess` (which keeps the connection); else a Django backend that sends in this thread."""

    url: str
    name: str
    backend: BaseEmailBackend | None = None
    smtp: SMTPProcess | None = None

    @property
    def unreachable(self) -> str:
        """Why the server cannot be reached, once a fresh connection failed too during this pass: the rest of the
        pass's emails wait for the backoff rather than a timeout each."""
        return self.smtp.unreachable if self.smtp is not None else ""


# Per worker thread: `transport`, the _Kept for the last EMAIL_URL; `smtp`, the thread's SMTPProcess (started on
# first use, told of another SMTP server when EMAIL_URL changes, started again if it stopped).
_local = threading.local()


def _smtp_process(options: dict) -> SMTPProcess:
    smtp: SMTPProcess | None = getattr(_local, "smtp", None)
    if smtp is not None and smtp.alive:
        smtp.configure(options)
        return smtp
    _local.smtp = SMTPProcess(options)
    return _local.smtp


def _transport(url: str) -> _Kept:
    """This thread's transport to `url`, kept across passes; ImproperlyConfigured for an unusable URL."""
    kept: _Kept | None = getattr(_local, "transport", None)
    if kept is None or kept.url != url:
        config = transport_config(url)
        if config.name == "smtp":
            kept = _Kept(url=url, name="smtp", smtp=_smtp_process(smtp_options(config)))
        else:
            kept = _Kept(url=url, name=config.name, backend=transport_open(config))
        _local.transport = kept
    elif kept.smtp is not None and not kept.smtp.alive:
        kept.smtp = _smtp_process(kept.smtp.options)
    if kept.smtp is not None:
        kept.smtp.new_pass()
    return kept


def outbox_connection_close() -> None:
    """Closes this thread's kept mail connection, if any (a test tearing its server down); the next pass opens
    another."""
    kept: _Kept | None = getattr(_local, "transport", None)
    _local.transport = None
    if kept is not None and kept.backend is not None:
        _close(kept.backend)
    smtp: SMTPProcess | None = getattr(_local, "smtp", None)
    if smtp is not None:
        smtp.close_connection()


def _send_now(kept: _Kept, email: OutboxEmail) -> None:
    """Sends through a transport without a network conversation (the mailbox, the console)."""
    kept.backend.open()
    kept.backend.send_messages([message_for(email=email, connection=kept.backend)])


@dataclass
class _Outcomes:
    sent: list[OutboxEmail] = field(default_factory=list)
    retries: list[tuple[OutboxEmail, str]] = field(default_factory=list)
    failures: list[tuple[OutboxEmail, str]] = field(default_factory=list)

    def refused(self, email: OutboxEmail, failure: Failure) -> None:
        (self.retries if failure.temporary else self.failures).append((email, failure.reason))

    def record(self, *, worker: str, transport: str) -> int:
        """Writes them (one statement per kind) and starts afresh; returns how many sent emails were recorded."""
        recorded = outbox_record(
            worker=worker, transport=transport, sent=self.sent, retries=self.retries, failures=self.failures
        )
        if recorded < len(self.sent):
            log.warning("%d emails were sent after their lease ran out", len(self.sent) - recorded)
        self.sent, self.retries, self.failures = [], [], []
        return recorded


class _BatchSender:
    """Sends a batch's emails over the kept transport: on SMTP they are handed, in order, to the thread's
    `SMTPProcess`, which talks to the server while this thread prepares the next batch; `settle` collects each
    outcome for `_Outcomes.record`."""

    def __init__(self, *, kept: _Kept | None, config_error: str):
        self.kept = kept
        self.config_error = config_error
        self.outcomes = _Outcomes()
        self.failures = 0
        self.last_error = ""
        self.queued: list[tuple[OutboxEmail, Future]] = []
        # Emails whose lease was lost while they waited their turn: the SMTP process is not handed them.
        self.dropped: set[int] = set()

    @property
    def unreachable(self) -> str:
        """Why nothing (more) can be sent: EMAIL_URL is unusable, or the server went away during this pass."""
        return self.config_error or (self.kept.unreachable if self.kept is not None else "")

    def refuse(self, email: OutboxEmail, failure: Failure) -> None:
        self.outcomes.refused(email, failure)
        self.failures += 1
        self.last_error = failure.reason

    def send(self, email: OutboxEmail) -> None:
        if self.unreachable:
            self.refuse(email, Failure(temporary=True, reason=self.unreachable))
            return
        if self.kept is not None and self.kept.smtp is not None:
            try:
                wire = wire_for(email)
            except Exception as exc:
                self._failed(email, exc)
                return
            self.queued.append((email, self.kept.smtp.submit(email.pk, wire, dropped=self.dropped)))
            return
        try:
            _send_now(self.kept, email)
        except Exception as exc:
            self._failed(email, exc)
        else:
            self.outcomes.sent.append(email)

    def settle(self, *, until: float | None = None) -> list[OutboxEmail]:
        """Waits for the queued emails (past `until`, a time.monotonic(), only for the first one still queued) and
        notes their outcomes; returns the emails still queued. This thread wakes once for the batch (twice past
        `until`), not once per email."""
        if not self.queued:
            return []
        futures = [future for _, future in self.queued]
        wait(futures[:1])
        remaining = None if until is None else until - time.monotonic()
        if remaining is None or remaining > 0:
            wait(futures, timeout=remaining, return_when=ALL_COMPLETED)
        # The SMTP process sends in order: the emails done are the first ones.
        done = 0
        while done < len(self.queued) and self.queued[done][1].done():
            done += 1
        for email, future in self.queued[:done]:
            try:
                transmitted = future.result()
            except SendFailed as exc:
                if exc.tried:
                    log.warning("email %s not sent: %s", email.message_id, exc.failure.reason)
                self.refuse(email, exc.failure)
            except Exception as exc:
                self._failed(email, exc)
            else:
                if transmitted:
                    self.outcomes.sent.append(email)
        del self.queued[:done]
        return self.pending()

    def pending(self) -> list[OutboxEmail]:
        """The emails queued and not settled yet."""
        return [email for email, _ in self.queued]

    def _failed(self, email: OutboxEmail, exc: BaseException) -> None:
        failure = classify_failure(exc)
        log.warning("email %s not sent: %s", email.message_id, failure.reason)
        self.refuse(email, failure)


@dataclass
class _Sending:
    """A batch handed to the helper thread, finished (waited for and recorded) while the next one is prepared."""

    batch: list[OutboxEmail]
    sender: _BatchSender
    started: float
    claimed_at: float


def _prepare(batch: list[OutboxEmail], *, kept: _Kept | None, config_error: str, worker: str) -> _BatchSender:
    """Refuses the batch's emails that cannot go (poisoned, not renderable), renders and keeps the texts of the
    rest (before any is sent, so every retry sends the same), and hands them to the sender."""
    sender = _BatchSender(kept=kept, config_error=config_error)
    refused = {email.pk: failure for email in batch if (failure := _poisoned(email))}
    refused |= _render_batch([email for email in batch if email.pk not in refused], worker=worker)
    for email in batch:
        if email.pk in refused:
            sender.refuse(email, refused[email.pk])
        else:
            sender.send(email)
    return sender


def _finish(sending: _Sending, *, worker: str, transport: str, lease: dt.timedelta) -> int:
    """Waits for a batch's emails and records their outcomes; returns how many sent were recorded. A slow server:
    every half lease, what is done is recorded and the rest's lease renewed before it runs out."""
    sender, recorded = sending.sender, 0
    while True:
        rest = sender.settle(until=sending.claimed_at + lease.total_seconds() / 2)
        if not rest:
            break
        recorded += sender.outcomes.record(worker=worker, transport=transport)
        held = claims_extend(model=OutboxEmail, pks=[email.pk for email in rest], worker=worker, lease=lease)
        sender.dropped |= {email.pk for email in rest if email.pk not in held}
        sending.claimed_at = time.monotonic()
    recorded += sender.outcomes.record(worker=worker, transport=transport)
    _pace.observe(items=len(sending.batch), seconds=time.monotonic() - sending.started)
    return recorded


def outbox_deliver_pass(
    *,
    worker: str | None = None,
    batch_size: int | None = None,
    max_batches: int = 100,
    more_due: Callable[[], None] | None = None,
) -> JobResult:
    """Send due emails until none is due (at most `max_batches` batches); each row is sent by one worker only.

    A batch is claimed with one statement, rendered with the objects its emails refer to loaded once, and its
    texts kept; then it is sent over one SMTP connection (kept open for the next batch and pass of this worker)
    by the worker's SMTP process (`notifications.smtp_process`) while this thread claims and renders the next batch; its outcomes are recorded with one
    statement per kind once it is sent. Until then the emails stay claimed by this worker, so no other worker
    sends them while it lives; a worker that dies mid-batch leaves them to be sent again after the lease.

    Without `batch_size`, a pass's first batches are smaller (`RAMP`), so that sending starts once a few emails
    are rendered rather than a whole batch; `more_due()` is called once when the pass has claimed a full batch's
    worth and its last batch came back full, so more is likely due (other workers may join in).
    """
    worker = worker or worker_id()
    lease = dt.timedelta(seconds=settings.OUTBOX_LEASE_SECONDS)
    sent = failures = 0
    last_error = ""
    try:
        kept, config_error = _transport(settings.EMAIL_URL), ""
    except ImproperlyConfigured as exc:
        kept, config_error = None, str(exc)
    transport_name = kept.name if kept is not None else ""
    sending: _Sending | None = None
    claimed = 0
    for n in range(max_batches):
        started = time.monotonic()
        full = batch_size or _pace.batch_size(lease=lease, cap=settings.OUTBOX_BATCH_SIZE)
        limit = full if batch_size or n >= len(RAMP) else min(full, RAMP[n])
        batch = outbox_claim_due(worker=worker, limit=limit)
        if sending is not None:
            # An email of the batch being sent whose lease ran out meanwhile (a very slow server) is claimed again
            # by this worker: it is sent and recorded with that batch, not twice.
            in_flight = {email.pk for email in sending.sender.pending()}
            batch = [email for email in batch if email.pk not in in_flight]
        if not batch:
            break
        claimed += len(batch)
        if more_due is not None and len(batch) == limit and claimed >= full:
            more_due()  # a batch's worth claimed and the last batch full: likely more due
            more_due = None
        claimed_at = time.monotonic()
        sender = _prepare(batch, kept=kept, config_error=config_error, worker=worker)
        if sending is not None:
            sent += _finish(sending, worker=worker, transport=transport_name, lease=lease)
            failures += sending.sender.failures
            last_error = sending.sender.last_error or last_error
        sending = _Sending(batch=batch, sender=sender, started=started, claimed_at=claimed_at)
        if sender.unreachable:
            break  # this batch waits too (its emails settle as not tried)
    if sending is not None:
        sent += _finish(sending, worker=worker, transport=transport_name, lease=lease)
        failures += sending.sender.failures
        last_error = sending.sender.last_error or last_error
    return JobResult(items=sent, failures=failures, error=last_error)


@job("outbox.deliver", every=dt.timedelta(seconds=settings.OUTBOX_DELIVERY_SECONDS), exclusive=False)
def outbox_deliver() -> JobResult:
    """Deliver the emails that are due; when more than a batch is due, idle workers are asked to join in."""
    return outbox_deliver_pass(more_due=lambda: job_more_work(name="outbox.deliver"))
