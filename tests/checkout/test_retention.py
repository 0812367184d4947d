"""Finished checkout attempts are kept for replays for a while, then purged by a daily job."""

import datetime as dt

import pytest

from autosales.checkout.errors import CheckoutError
from autosales.checkout.models import CheckoutAttempt
from autosales.checkout.retention import checkout_attempts_purge
from autosales.core import clock
from autosales.core.errors import DomainError
from autosales.jobs.registry import job_spec
from autosales.orders.models import Order
from tests.factories import make_checkout, place_test_order

pytestmark = pytest.mark.django_db

Status = CheckoutAttempt.Status


def _attempt(checkout, *, key: str, status: str, days_ago: int) -> CheckoutAttempt:
    at = clock.now() - dt.timedelta(days=days_ago)
    with clock.frozen_at(at):
        return CheckoutAttempt.objects.create(
            organization=checkout.organization, idempotency_key=key, request_hash="h", status=status
        )


def test_finished_attempts_past_the_retention_are_purged_in_batches_and_the_rest_kept(settings):
    # given finished attempts older than the retention, recent ones, and an old one still in progress
    settings.CHECKOUT_ATTEMPT_RETENTION_DAYS = 30
    checkout = make_checkout()
    old = [_attempt(checkout, key=f"old-{i}", status=Status.SUCCEEDED, days_ago=31) for i in range(4)]
    old.append(_attempt(checkout, key="old-failed", status=Status.FAILED, days_ago=40))
    recent = _attempt(checkout, key="recent", status=Status.SUCCEEDED, days_ago=29)
    working = _attempt(checkout, key="working", status=Status.IN_PROGRESS, days_ago=60)
    # when the purge runs with small batches
    purged = checkout_attempts_purge(batch_size=2)
    # then every finished attempt past the retention is gone, and only those
    assert purged == len(old)
    assert set(CheckoutAttempt.objects.values_list("pk", flat=True)) == {recent.pk, working.pk}
    # and running it again finds nothing
    assert checkout_attempts_purge(batch_size=2) == 0


def test_an_answered_attempt_stays_for_replays_within_the_retention(settings):
    settings.CHECKOUT_ATTEMPT_RETENTION_DAYS = 30
    checkout = make_checkout()
    start = clock.now()
    with clock.frozen_at(start):
        order = place_test_order(checkout, key="kept")
    with clock.frozen_at(start + dt.timedelta(days=29)):
        assert checkout_attempts_purge() == 0
        assert place_test_order(checkout, key="kept").pk == order.pk
    with clock.frozen_at(start + dt.timedelta(days=31)):
        assert checkout_attempts_purge() == 1
    # the order stays; the attempt was only its receipt for replays
    assert Order.objects.filter(pk=order.pk).exists()


def test_a_key_sent_again_after_its_attempt_was_purged_is_refused_not_a_second_order(settings):
    settings.CHECKOUT_ATTEMPT_RETENTION_DAYS = 30
    checkout = make_checkout()
    start = clock.now()
    with clock.frozen_at(start):
        place_test_order(checkout, key="long-ago")
    with clock.frozen_at(start + dt.timedelta(days=31)):
        checkout_attempts_purge()
        with pytest.raises(DomainError) as raised:
            place_test_order(checkout, key="long-ago")
    assert raised.value.code == CheckoutError.IDEMPOTENCY_KEY_REUSED
    assert raised.value.field == "idempotency_key"
    assert Order.objects.count() == 1
    assert not CheckoutAttempt.objects.exists()


def test_the_purge_is_a_daily_job():
    spec = job_spec("checkout.purge_attempts")
    assert spec.daily_at is not None
