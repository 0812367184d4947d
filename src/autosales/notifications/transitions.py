"""Every outbox status change, in one place.

pending --claim--> sending --sent--> sent
                      |---retry--> pending (later, with backoff)
                      '---fail---> failed --resend--> pending
sending (worker died, lease ran out) --claim--> sending
"""

from __future__ import annotations

import datetime as dt
import random

from django.conf import settings
from django.db.models import Q

from autosales.core import clock
from autosales.core.errors import Conflict
from autosales.jobs.claims import claim_batch, claims_write_each
from autosales.notifications.errors import NotificationError
from autosales.notifications.models import OutboxEmail

Status = OutboxEmail.Status

ALLOWED = {
    Status.PENDING: {Status.SENDING},
    Status.SENDING: {Status.SENT, Status.PENDING, Status.FAILED, Status.SENDING},
    Status.FAILED: {Status.PENDING},
    Status.SENT: set(),
}


def _check(*, frm: str, to: str) -> None:
    if to not in ALLOWED[Status(frm)]:
        raise Conflict(NotificationError.BAD_TRANSITION, f"An email cannot go from {frm} to {to}.", field="status")


def retry_delay(*, attempts: int) -> dt.timedelta:
    """Exponential backoff with jitter: base·2^(attempts-1), capped, then drawn from its upper half."""
    base = settings.OUTBOX_BACKOFF_BASE_SECONDS
    cap = settings.OUTBOX_BACKOFF_MAX_SECONDS
    ceiling = min(cap, base * 2 ** max(0, attempts - 1))
    return dt.timedelta(seconds=random.uniform(ceiling / 2, ceiling))


def outbox_claim_due(*, worker: str, limit: int) -> list[OutboxEmail]:
    """Claim up to `limit` emails that are due, or whose sender died (lease ran out); each goes to one worker only."""
    now = clock.now()
    due = OutboxEmail.objects.filter(Q(status=Status.PENDING, next_attempt_at__lte=now) | Q(status=Status.SENDING))
    return claim_batch(
        queryset=due,
        worker=worker,
        limit=limit,
        lease=dt.timedelta(seconds=settings.OUTBOX_LEASE_SECONDS),
        order_by=("next_attempt_at", "pk"),
        updates={"status": Status.SENDING, "last_attempt_at": now},
    )


def outbox_record(
    *,
    worker: str,
    transport: str,
    sent: list[OutboxEmail],
    retries: list[tuple[OutboxEmail, str]],
    failures: list[tuple[OutboxEmail, str]],
) -> int:
    """Records a batch's outcomes with one UPDATE per kind (sent, retry, failed), each only on rows this worker still
    holds; returns how many sent emails it recorded (fewer: some were sent after their lease ran out).
    A retry becomes a failure once the email's attempts are used up.
    """
    now = clock.now()
    released = {"claimed_by": "", "claimed_until": None, "updated_at": now}
    failed = list(failures)
    retried = []
    for email, error in retries:
        if email.attempts >= settings.OUTBOX_MAX_ATTEMPTS:
            failed.append((email, f"gave up after {email.attempts} attempts; last error: {error}"))
        else:
            retried.append((email, error, now + retry_delay(attempts=email.attempts)))
    for emails, to in (
        (sent, Status.SENT),
        ([e for e, *_ in retried], Status.PENDING),
        ([e for e, _ in failed], Status.FAILED),
    ):
        for email in emails:
            _check(frm=email.status, to=to)
    recorded = 0
    held = OutboxEmail.objects.filter(claimed_by=worker)
    if sent:
        values = {"status": Status.SENT, "sent_at": now, "transport": transport, "last_error": "", **released}
        recorded = held.filter(pk__in=[email.pk for email in sent]).update(**values)
        _apply(sent, values)
    if retried:
        claims_write_each(
            model=OutboxEmail,
            worker=worker,
            fields=["next_attempt_at", "last_error"],
            rows={email.pk: (at, error) for email, error, at in retried},
            common={"status": Status.PENDING, **released},
        )
        for email, error, at in retried:
            _apply([email], {"status": Status.PENDING, "next_attempt_at": at, "last_error": error, **released})
    if failed:
        claims_write_each(
            model=OutboxEmail,
            worker=worker,
            fields=["last_error"],
            rows={email.pk: (error,) for email, error in failed},
            common={"status": Status.FAILED, **released},
        )
        for email, error in failed:
            _apply([email], {"status": Status.FAILED, "last_error": error, **released})
    return recorded


def _apply(emails: list[OutboxEmail], values: dict) -> None:
    for email in emails:
        for name, value in values.items():
            setattr(email, name, value)


def outbox_requeue(*, email: OutboxEmail) -> OutboxEmail:
    """A failed email becomes pending again, due now, with a fresh count of attempts."""
    if email.status != Status.FAILED:
        raise Conflict(NotificationError.NOT_RESENDABLE, "Only a failed email can be re-sent.", field="status")
    now = clock.now()
    changed = OutboxEmail.objects.filter(pk=email.pk, status=Status.FAILED).update(
        status=Status.PENDING, next_attempt_at=now, attempts=0, claimed_by="", claimed_until=None, updated_at=now
    )
    if not changed:
        raise Conflict(NotificationError.NOT_RESENDABLE, "Only a failed email can be re-sent.", field="status")
    email.refresh_from_db()
    return email
