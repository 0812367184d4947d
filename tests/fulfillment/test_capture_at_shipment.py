"""A shop that captures at shipment: each shipment captures its goods plus their share of shipping and tax; the
captures of an order shipped in full add up to its total; cancelling the rest releases the authorization."""

from decimal import Decimal

import pytest

from autosales.core.errors import Conflict
from autosales.fulfillment.models import CaptureStatus
from autosales.fulfillment.services import order_cancel_remainder
from autosales.inventory.models import StockLevel
from autosales.notifications.models import OutboxEmail
from autosales.orders.models import OrderStatus
from autosales.payments.models import PaymentStatus, TestGatewayCharge
from tests.factories import make_checkout, make_staff, make_tax_rate, place_test_order, ship_test_order

pytestmark = pytest.mark.django_db


@pytest.fixture
def capture_at_shipment(settings):
    settings.PAYMENT_CAPTURE_AT_SHIPMENT = True


def test_checkout_only_authorizes(capture_at_shipment):
    checkout = make_checkout(stock=10)
    order = place_test_order(checkout, quantity=3)
    assert order.status == OrderStatus.PLACED
    assert order.payments.get().status == PaymentStatus.AUTHORIZED
    assert TestGatewayCharge.objects.get().status == TestGatewayCharge.Status.AUTHORIZED


def test_each_shipment_captures_what_it_ships_and_the_captures_add_up_to_the_total(capture_at_shipment):
    # given 3 units at $10.00, $5.00 shipping and 6.25% tax
    make_tax_rate(country="US", rate_percent="6.25")
    checkout = make_checkout(stock=10, price="10.00")
    order = place_test_order(checkout, quantity=3)
    assert order.tax > 0

    first = ship_test_order(order, units=1, tracking="1Z1")
    # one unit of three: $10.00 plus a third of shipping and tax, to the cent
    share = ((Decimal(order.shipping) + Decimal(order.tax)) / 3).quantize(Decimal("0.01"))
    assert first.capture_status == CaptureStatus.CAPTURED
    assert first.capture_amount == Decimal("10.00") + share
    charge = TestGatewayCharge.objects.get()
    assert charge.status == TestGatewayCharge.Status.AUTHORIZED  # the rest of the hold stays for the next shipment
    assert order.payments.get().status == PaymentStatus.AUTHORIZED

    second = ship_test_order(order, units=2, tracking="1Z2")
    assert second.capture_amount == Decimal(order.total) - first.capture_amount
    payment = order.payments.get()
    assert payment.status == PaymentStatus.CAPTURED and payment.amount == Decimal(order.total)
    charge.refresh_from_db()
    assert charge.status == TestGatewayCharge.Status.CAPTURED and charge.amount == Decimal(order.total)
    order.refresh_from_db()
    assert order.status == OrderStatus.SHIPPED
    assert order.events.filter(kind="payment", data__action="captured").count() == 2


def test_cancelling_the_rest_captures_only_what_shipped_and_releases_the_hold(capture_at_shipment):
    checkout = make_checkout(stock=10, price="10.00")
    order = place_test_order(checkout, quantity=4)
    first = ship_test_order(order, units=1, tracking="1Z1")

    order_cancel_remainder(order=order, reason="Discontinued colour", actor=make_staff())

    order.refresh_from_db()
    assert order.status == OrderStatus.SHIPPED
    line = order.lines.get()
    assert (line.quantity_shipped, line.quantity_cancelled, line.quantity_open) == (1, 3, 0)
    level = StockLevel.objects.get(variant=checkout.variant)
    assert (level.on_hand, level.allocated) == (9, 0)
    payment = order.payments.get()
    assert payment.status == PaymentStatus.CAPTURED and payment.amount == first.capture_amount
    charge = TestGatewayCharge.objects.get()
    assert charge.status == TestGatewayCharge.Status.CAPTURED and charge.amount == first.capture_amount
    email = OutboxEmail.objects.get(template="fulfillment/remainder_cancelled")
    assert email.context["reason"] == "Discontinued colour"
    assert order.events.filter(kind="remainder_cancelled").exists()
    with pytest.raises(Conflict):
        order_cancel_remainder(order=order, reason="again", actor=None)


def test_cancelling_before_anything_shipped_cancels_the_order_and_voids_the_card(capture_at_shipment):
    checkout = make_checkout(stock=10)
    order = place_test_order(checkout, quantity=2)
    order_cancel_remainder(order=order, reason="Ordered twice", actor=None)
    order.refresh_from_db()
    assert order.status == OrderStatus.CANCELLED
    assert order.payments.get().status == PaymentStatus.VOIDED


def test_by_default_the_card_is_captured_at_order_and_shipments_capture_nothing():
    checkout = make_checkout(stock=10)
    order = place_test_order(checkout, quantity=2)
    assert order.status == OrderStatus.PAID
    shipment = ship_test_order(order, units=2, tracking="1Z1")
    assert shipment.capture_status == CaptureStatus.NONE and shipment.payment_id is None


def test_paid_at_order_cancelling_the_rest_refunds_the_price_of_what_will_not_ship():
    # given a card order paid in full at order: 4 units at $10.00 and $5.00 shipping
    checkout = make_checkout(stock=10, price="10.00")
    order = place_test_order(checkout, quantity=4)
    assert order.status == OrderStatus.PAID
    ship_test_order(order, units=1, tracking="1Z1")

    order_cancel_remainder(order=order, reason="Out of production", actor=make_staff())

    # the customer pays for one unit and a quarter of shipping and tax: the rest comes back
    paid_for = Decimal("10.00") + ((Decimal(order.shipping) + Decimal(order.tax)) / 4).quantize(Decimal("0.01"))
    payment = order.payments.get()
    assert payment.status == PaymentStatus.CAPTURED
    assert payment.amount_refunded == Decimal(order.total) - paid_for
    assert TestGatewayCharge.objects.get().amount_refunded == payment.amount_refunded
    assert order.events.filter(kind="payment", data__action="refunded", data__for="cancelled units").exists()


def test_a_capture_the_gateway_refuses_leaves_the_shipment_and_the_job_captures_it_later(capture_at_shipment):
    from autosales.fulfillment.jobs import capture_shipments

    checkout = make_checkout(stock=10, price="10.00")
    order = place_test_order(checkout, quantity=2)
    charge = TestGatewayCharge.objects.get()
    # The gateway cannot capture for now: its ledger holds the charge in a state no capture accepts (the test
    # gateway has no token that fails at capture time only).
    TestGatewayCharge.objects.filter(pk=charge.pk).update(status=TestGatewayCharge.Status.LOST)

    shipment = ship_test_order(order, units=2, tracking="1Z1")

    shipment.refresh_from_db()
    order.refresh_from_db()
    assert order.status == OrderStatus.SHIPPED  # the goods left: the shipment stands
    assert shipment.capture_status == CaptureStatus.PENDING
    assert order.events.filter(kind="payment", data__action="capture_failed").exists()
    assert capture_shipments().failures == 1

    TestGatewayCharge.objects.filter(pk=charge.pk).update(status=TestGatewayCharge.Status.AUTHORIZED)
    result = capture_shipments()

    shipment.refresh_from_db()
    assert result.failures == 0 and shipment.capture_status == CaptureStatus.CAPTURED
    assert order.payments.get().status == PaymentStatus.CAPTURED
    assert capture_shipments().items == 0  # nothing left to do
