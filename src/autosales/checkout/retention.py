"""How long a finished checkout attempt is kept: long enough for any replay of its submission.

An attempt is the receipt of one submission under an Idempotency-Key (and, for the API, the first answer).
Once finished (succeeded or failed) and untouched for CHECKOUT_ATTEMPT_RETENTION_DAYS, nobody retries it any
more; the daily job deletes it in small batches, so no long transaction or lock is held. The order keeps its
key, so the same key sent after that is still refused rather than placing a second order.
"""

from datetime import timedelta

from django.conf import settings
from django.db import transaction

from autosales.checkout.models import CheckoutAttempt
from autosales.core import clock

BATCH_SIZE = 500


def checkout_attempts_purge(*, batch_size: int = BATCH_SIZE) -> int:
    """Deletes finished attempts untouched for longer than the retention, `batch_size` per transaction; returns how many."""
    cutoff = clock.now() - timedelta(days=settings.CHECKOUT_ATTEMPT_RETENTION_DAYS)
    finished = CheckoutAttempt.objects.filter(
        status__in=[CheckoutAttempt.Status.SUCCEEDED, CheckoutAttempt.Status.FAILED], updated_at__lt=cutoff
    )
    purged = 0
    while True:
        with transaction.atomic():
            ids = list(finished.order_by("pk").values_list("pk", flat=True)[:batch_size])
            if not ids:
                return purged
            # Re-checked in the delete: an attempt a late replay touched meanwhile stays.
            deleted, _ = finished.filter(pk__in=ids).delete()
        purged += deleted
