"""A checkout whose card answer never came back gives its stock back and returns what the gateway took:
an authorization is voided, a sale (the shop captures at order) refunded."""

import datetime as dt

import pytest

from autosales.checkout.expiry import checkouts_expire_stale
from autosales.checkout.models import CheckoutAttempt
from autosales.core import clock
from autosales.core.errors import DomainError
from autosales.inventory.models import StockLevel
from autosales.orders.models import Order
from autosales.payments.errors import PaymentUnavailable
from autosales.payments.models import TestGatewayCharge
from tests.factories import make_checkout, place_test_order

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("capture_at_order", "returned"),
    [(False, TestGatewayCharge.Status.VOIDED), (True, TestGatewayCharge.Status.REFUNDED)],
)
def test_stale_pending_checkout_releases_stock_returns_the_charge_and_refuses_a_late_retry(
    settings, capture_at_order, returned
):
    settings.PAYMENT_CAPTURE_AT_ORDER = capture_at_order
    start = clock.now()
    checkout = make_checkout()
    with clock.frozen_at(start), pytest.raises(PaymentUnavailable):
        place_test_order(checkout, quantity=3, token="tok_network_error", key="late")
    assert StockLevel.objects.get(variant=checkout.variant).allocated == 3

    # not yet stale: nothing happens
    with clock.frozen_at(start + dt.timedelta(minutes=5)):
        assert checkouts_expire_stale() == (0, 0)
    # after the time-to-live: released and voided
    with clock.frozen_at(start + dt.timedelta(minutes=16)):
        assert checkouts_expire_stale() == (1, 0)
        assert checkouts_expire_stale() == (0, 0)  # idempotent
        with pytest.raises(DomainError) as raised:
            place_test_order(checkout, quantity=3, token="tok_network_error", key="late")

    assert raised.value.code == "checkout_expired"
    assert StockLevel.objects.get(variant=checkout.variant).allocated == 0
    assert not Order.objects.exists()
    assert TestGatewayCharge.objects.get().status == returned
    assert CheckoutAttempt.objects.get().status == CheckoutAttempt.Status.FAILED
