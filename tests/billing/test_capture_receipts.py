"""A card order captured per shipment (PAYMENT_CAPTURE_AT_SHIPMENT) gets one paid receipt per capture, for the
units shipped and what the capture took, rather than one receipt for the whole order; the receipts add up to
the order's total, shipping and tax as the captures do, and the customer owes nothing."""

from decimal import Decimal

import pytest

from autosales.billing.jobs import invoices_issue_due
from autosales.billing.models import Invoice
from autosales.customers.models import Organization
from autosales.fulfillment.services import order_cancel_remainder, shipment_create
from autosales.inventory.models import StockLevel
from tests.factories import make_checkout, make_staff, make_tax_rate, place_test_order

pytestmark = pytest.mark.django_db


@pytest.fixture
def capture_at_shipment(settings):
    settings.PAYMENT_CAPTURE_AT_SHIPMENT = True


def _ship(order, units, tracking):
    line = order.lines.get()
    return shipment_create(
        order=order,
        warehouse=StockLevel.objects.get(variant_id=line.variant_id).warehouse,
        lines={line.pk: units},
        carrier="ups",
        tracking_number=tracking,
        actor=make_staff(),
    )


def test_each_capture_gets_its_paid_receipt_and_they_add_up_to_the_order(capture_at_shipment):
    make_tax_rate(country="US", rate_percent="6.25")
    checkout = make_checkout(stock=10, price="10.00")
    order = place_test_order(checkout, quantity=3)
    assert order.tax > 0 and order.shipping > 0
    invoices_issue_due()
    assert not Invoice.objects.exists()  # authorized only: nothing is paid yet

    first = _ship(order, 1, "1Z1")
    invoices_issue_due()
    second = _ship(order, 2, "1Z2")
    invoices_issue_due()
    invoices_issue_due()  # a second run issues nothing more

    receipts = list(Invoice.objects.order_by("sequence"))
    assert [(r.source, r.source_id) for r in receipts] == [
        ("receipt", first.public_id),
        ("receipt", second.public_id),
    ]
    assert [r.total for r in receipts] == [first.capture_amount, second.capture_amount]
    assert [[line.quantity for line in r.lines.all()] for r in receipts] == [[1], [2]]
    assert [r.subtotal for r in receipts] == [Decimal("10.00"), Decimal("20.00")]
    assert sum(r.shipping for r in receipts) == order.shipping
    assert sum(r.tax for r in receipts) == order.tax
    assert sum(r.total for r in receipts) == order.total
    assert all(r.status == "paid" and r.terms_label == "Paid by card" for r in receipts)
    assert receipts[0].shipment_reference == first.number
    assert Organization.objects.get(pk=order.organization_id).account_balance == 0


def test_a_cancelled_remainder_leaves_one_receipt_for_what_shipped(capture_at_shipment):
    checkout = make_checkout(stock=10, price="10.00")
    order = place_test_order(checkout, quantity=4)
    first = _ship(order, 1, "1Z1")
    order_cancel_remainder(order=order, reason="Discontinued colour", actor=make_staff())
    invoices_issue_due()
    receipt = Invoice.objects.get()
    assert (receipt.source_id, receipt.total, receipt.status) == (first.public_id, first.capture_amount, "paid")
    assert [line.quantity for line in receipt.lines.all()] == [1]


def test_an_order_captured_at_once_still_gets_one_receipt(settings):
    settings.PAYMENT_CAPTURE_AT_SHIPMENT = False
    checkout = make_checkout(stock=10, price="10.00")
    order = place_test_order(checkout, quantity=3)
    _ship(order, 1, "1Z1")
    invoices_issue_due()
    receipt = Invoice.objects.get()
    assert (receipt.source_id, receipt.total, receipt.status) == (order.public_id, order.total, "paid")
