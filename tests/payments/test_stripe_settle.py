"""Settling a payment whose answer was lost re-sends the very request first sent under its idempotency key.

Stripe refuses a key re-used with other parameters (https://docs.stripe.com/api/idempotent_requests); the
localstripe harness does the same, so these tests fail if any parameter differs between the two requests.
"""

import datetime as dt
from decimal import Decimal

import pytest

from autosales.checkout.expiry import checkouts_expire_stale
from autosales.core import clock
from autosales.core.money import Money
from autosales.payments.errors import PaymentUnavailable
from autosales.payments.models import Payment, PaymentStatus
from autosales.payments.services import payment_authorize, payment_settle
from tests.factories import make_checkout, place_test_order
from tests.payments.stripe_fixtures import localstripe_fixture, localstripe_server_fixture  # noqa: F401

pytestmark = pytest.mark.django_db


def test_settle_sends_the_same_metadata_and_finds_the_authorization(localstripe, settings):
    # given an authorization with metadata (as checkout sends) whose answer is lost
    settings.STRIPE_MAX_NETWORK_RETRIES = 0
    localstripe.drop_responses(1)
    with pytest.raises(PaymentUnavailable):
        payment_authorize(
            amount=Money(Decimal("25.00"), "USD"),
            token="pm_card_visa",
            idempotency_key="checkout:org:k-1",
            provider="stripe",
            metadata={"order": "7K2Q9XMD4T", "organization": "org"},
        )
    payment = Payment.objects.get()

    # when the payment is settled later
    settled = payment_settle(payment=payment)

    # then Stripe accepted the same request under the key and answered with the first authorization
    assert settled.status == PaymentStatus.AUTHORIZED, settled.last_error
    [charge] = localstripe.charges()
    assert charge["payment_intent"] == settled.provider_reference


@pytest.mark.parametrize(
    ("capture_at_order", "returned"), [(False, PaymentStatus.VOIDED), (True, PaymentStatus.REFUNDED)]
)
def test_an_expired_checkout_whose_answer_was_lost_is_given_back_at_stripe_not_marked_failed(
    localstripe, settings, capture_at_order, returned
):
    # given a checkout whose card payment timed out: Stripe holds (or, for a sale, took) the money, we do not
    # know it
    settings.STRIPE_MAX_NETWORK_RETRIES = 0
    settings.PAYMENT_CAPTURE_AT_ORDER = capture_at_order
    checkout = make_checkout()
    localstripe.drop_responses(1)
    with pytest.raises(PaymentUnavailable):
        place_test_order(checkout, token="pm_card_visa", key="k-lost")

    # when nobody retries and the expiry job runs past the pending time
    clock.set_now(clock.now() + dt.timedelta(minutes=settings.CHECKOUT_PENDING_TTL_MINUTES + 1))
    expired, failures = checkouts_expire_stale()

    # then settling found the payment (same request, same key): the hold released, or the sale refunded
    assert (expired, failures) == (1, 0)
    payment = Payment.objects.get()
    assert payment.status == returned, payment.last_error
    [charge] = localstripe.charges()
    assert charge["payment_intent"] == payment.provider_reference
