"""Checkout paid by card through Stripe (localstripe on loopback): the real place_order, the real SDK."""

from decimal import Decimal

import pytest

from autosales.core.errors import DomainError
from autosales.inventory.models import StockLevel
from autosales.orders.models import Order, OrderStatus
from autosales.orders.services import order_cancel
from autosales.payments.errors import PaymentError, PaymentUnavailable
from autosales.payments.models import Payment, PaymentStatus
from tests.factories import make_checkout, place_test_order
from tests.payments.stripe_fixtures import (  # noqa: F401  (fixtures)
    localstripe_fixture,
    localstripe_server_fixture,
)

pytestmark = pytest.mark.django_db


def cents(amount: Decimal) -> int:
    return int(amount * 100)


def test_card_order_through_stripe_is_paid_and_charged_once(localstripe):
    # given a buyer and a product at $10.00
    checkout = make_checkout()

    # when the buyer orders 2 and pays with a Stripe PaymentMethod
    order = place_test_order(checkout, quantity=2, token="pm_card_visa")

    # then the order is paid, and Stripe holds one captured charge of the order's total
    order.refresh_from_db()
    assert order.status == OrderStatus.PAID
    [payment] = Payment.objects.filter(order=order)
    assert payment.provider == "stripe"
    assert payment.provider_reference.startswith("pi_")
    assert payment.status == PaymentStatus.CAPTURED
    [charge] = localstripe.charges()
    assert charge["captured"] is True
    assert charge["amount"] == cents(order.total)
    assert charge["payment_intent"] == payment.provider_reference


def test_declined_card_through_stripe_places_no_order_and_holds_no_stock(localstripe):
    # given a buyer and 10 units in stock
    checkout = make_checkout(stock=10)

    # when the buyer pays with a card the bank declines
    with pytest.raises(DomainError) as caught:
        place_test_order(checkout, quantity=3, token="pm_card_chargeCustomerFail")

    # then the customer is told the card was declined, and nothing is ordered, held or charged
    assert caught.value.code == PaymentError.DECLINED
    assert caught.value.field == "payment"
    assert not Order.objects.exists()
    assert StockLevel.objects.get(variant=checkout.variant).allocated == 0
    assert all(charge["status"] == "failed" for charge in localstripe.charges())


def test_the_same_submission_twice_is_one_order_and_one_charge(localstripe):
    # given a buyer
    checkout = make_checkout()

    # when the same checkout is submitted twice with one key (a double click)
    first = place_test_order(checkout, token="pm_card_visa", key="double-click")
    second = place_test_order(checkout, token="pm_card_visa", key="double-click")

    # then there is one order and Stripe charged once
    assert first.pk == second.pk
    assert Order.objects.count() == 1
    assert len(localstripe.charges()) == 1


def test_timeout_then_retry_places_one_order_and_charges_once(localstripe, settings):
    # given the answer to the authorization gets lost and the SDK does not retry by itself
    settings.STRIPE_MAX_NETWORK_RETRIES = 0
    checkout = make_checkout()
    localstripe.drop_responses(1)

    # when the buyer confirms, sees the timeout, and confirms again
    with pytest.raises(PaymentUnavailable):
        place_test_order(checkout, token="pm_card_visa", key="retry-me")
    order = place_test_order(checkout, token="pm_card_visa", key="retry-me")

    # then there is one paid order and Stripe charged once
    order.refresh_from_db()
    assert order.status == OrderStatus.PAID
    assert Order.objects.count() == 1
    [charge] = localstripe.charges()
    assert charge["captured"] is True
    assert charge["amount"] == cents(order.total)


def test_cancelling_a_paid_order_refunds_it_at_stripe(localstripe):
    # given a paid order
    checkout = make_checkout()
    order = place_test_order(checkout, quantity=1, token="pm_card_visa")

    # when it is cancelled before it ships
    order_cancel(order=order, actor=checkout.user, reason="Ordered by mistake")

    # then Stripe refunded the whole charge and the payment says so
    [refund] = localstripe.refunds()
    assert refund["amount"] == cents(order.total)
    payment = Payment.objects.get(order=order)
    assert payment.status == PaymentStatus.REFUNDED
