"""The checkout attempt: one row per (organization, idempotency key), the claim a submission works under.

The unique pair makes two simultaneous submissions with one key meet on one row; the lease (`claimed_until`)
says that a request is working on it (calling the gateway), so a twin waits for it, and a crashed request
does not block a retry for longer than the lease. `checkout.placement` claims a new key in its reservation
transaction; this module handles a key met before.
"""

import time
from datetime import timedelta

from django.db import IntegrityError, transaction
from django.db.models import Q

from autosales.checkout.answers import CheckoutAnswerer
from autosales.checkout.errors import CheckoutError, IdempotencyKeyReused
from autosales.checkout.models import CheckoutAttempt
from autosales.core import clock
from autosales.core.errors import Conflict, DomainError
from autosales.customers.models import Organization
from autosales.orders.models import Order
from autosales.payments.models import Payment

# How long a request may work on an attempt (mostly: waiting for the gateway) before another may take over.
LEASE = timedelta(seconds=60)
# How long a twin request waits for the first one before answering "still in progress".
WAIT_SECONDS = 15.0


class KeyMet(Exception):
    """The key has an attempt already: wait for it or take it up instead of reserving anew."""


def gateway_key(*, organization: Organization, idempotency_key: str) -> str:
    """The idempotency key sent to the gateway for this checkout: the same submission always sends the same one."""
    return f"checkout:{organization.public_id}:{idempotency_key}"


def attempt_order(attempt: CheckoutAttempt) -> Order | None:
    """The order an attempt made: it holds the attempt's key (an attempt names its order when it finishes)."""
    return (
        Order.objects.select_related("organization", "placed_by")
        .filter(organization_id=attempt.organization_id, idempotency_key=attempt.idempotency_key)
        .first()
    )


def attempt_payment(attempt: CheckoutAttempt) -> Payment | None:
    """The payment an attempt's order is paid by: the one written under the key the gateway is sent."""
    key = gateway_key(organization=attempt.organization, idempotency_key=attempt.idempotency_key)
    return Payment.objects.filter(idempotency_key=key).first()


def attempt_claim(
    *,
    organization: Organization,
    user,
    key: str,
    request_hash: str,
    answer: CheckoutAnswerer | None = None,
    lease: timedelta = LEASE,
) -> CheckoutAttempt:
    """The key's existing attempt, claimed by this request for `lease`, or finished (succeeded); raises for a failed
    or different one.

    With `answer`, an attempt that holds an answer already gives it (`answer.answer`) and is returned as finished.
    """
    deadline = time.monotonic() + WAIT_SECONDS
    pause = 0.02
    while True:
        attempt = CheckoutAttempt.objects.filter(organization=organization, idempotency_key=key).first()
        if attempt is None:
            # The other request gave the key back (its request was invalid): claim it here.
            try:
                with transaction.atomic():
                    return CheckoutAttempt.objects.create(
                        organization=organization,
                        user=user if getattr(user, "pk", None) else None,
                        idempotency_key=key,
                        request_hash=request_hash,
                        claimed_until=clock.now() + lease,
                    )
            except IntegrityError:
                continue
        if answer is not None and answer.replay(attempt):
            attempt.status = CheckoutAttempt.Status.SUCCEEDED
            return attempt
        if attempt.request_hash != request_hash:
            raise IdempotencyKeyReused(
                CheckoutError.IDEMPOTENCY_KEY_REUSED,
                "This idempotency key was already used for a different order; send a new key for a new order.",
                "idempotency_key",
            )
        if attempt.status == CheckoutAttempt.Status.FAILED:
            raise DomainError(attempt.error_code, attempt.error_message, attempt.error_field or None)
        now = clock.now()
        if attempt.status == CheckoutAttempt.Status.SUCCEEDED:
            # Finished once the request that placed it lets go (after capturing, and answering its client).
            if attempt.claimed_until is None or attempt.claimed_until < now:
                return attempt
        elif CheckoutAttempt.objects.filter(
            Q(claimed_until__isnull=True) | Q(claimed_until__lt=now),
            pk=attempt.pk,
            status=CheckoutAttempt.Status.IN_PROGRESS,
        ).update(claimed_until=now + lease):
            attempt.refresh_from_db()
            return attempt
        if time.monotonic() > deadline:
            raise Conflict(
                CheckoutError.IN_PROGRESS,
                "This order is still being placed; check your orders in a moment before trying again.",
                "idempotency_key",
            )
        time.sleep(pause)
        pause = min(pause * 2, 0.25)


def attempt_fail(*, attempt: CheckoutAttempt, error: DomainError) -> None:
    CheckoutAttempt.objects.filter(pk=attempt.pk).update(
        status=CheckoutAttempt.Status.FAILED,
        error_code=error.code,
        error_field=error.field or "",
        error_message=error.message,
        claimed_until=None,
        updated_at=clock.now(),
    )
