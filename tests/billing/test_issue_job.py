"""The job `billing.issue_invoices`: shipments of account orders, per-order customers, card receipts and monthly
customers, each invoiced exactly once however often it runs."""

import datetime as dt

import pytest

from autosales.billing.jobs import invoices_issue_due
from autosales.billing.models import Invoice
from autosales.core import clock
from autosales.fulfillment.services import shipment_create
from autosales.inventory.models import StockLevel
from autosales.jobs.registry import registered_jobs
from tests.factories import make_checkout, make_staff, place_test_order

pytestmark = pytest.mark.django_db

APRIL = dt.datetime(2027, 4, 20, 12, tzinfo=dt.UTC)


def _checkout(**org):
    return make_checkout(stock=100, has_account_terms=True, credit_limit=100_000, **org)


def _ship(order, units, tracking):
    level = StockLevel.objects.get(variant=order.lines.get().variant)
    return shipment_create(
        order=order,
        warehouse=level.warehouse,
        lines={order.lines.get().pk: units},
        carrier="ups",
        tracking_number=tracking,
        actor=make_staff(),
    )


def test_each_shipment_of_an_account_order_is_invoiced_once():
    with clock.frozen_at(APRIL):
        checkout = _checkout()
        order = place_test_order(checkout, quantity=10, kind="account")
        first = _ship(order, 4, "1Z999AA10123456784")
        assert invoices_issue_due()[:2] == (1, 0)
        second = _ship(order, 6, "1Z999AA10123456785")
        assert invoices_issue_due()[:2] == (1, 0)
        assert invoices_issue_due()[:2] == (0, 0)  # run again: nothing left

    invoices = list(Invoice.objects.order_by("sequence"))
    assert [i.shipment_reference for i in invoices] == [first.number, second.number]
    assert [i.lines.get().quantity for i in invoices] == [4, 6]
    assert sum(i.total for i in invoices) == order.total
    assert "billing.issue_invoices" in registered_jobs()


def test_per_order_customers_are_invoiced_at_placement_and_card_orders_get_a_paid_receipt():
    with clock.frozen_at(APRIL):
        per_order = _checkout(invoicing="per_order")
        account = place_test_order(per_order, quantity=2, kind="account")
        card = place_test_order(per_order, quantity=1)
        per_shipment = _checkout()
        place_test_order(per_shipment, quantity=1, kind="account")  # waits for its shipment
        assert invoices_issue_due()[:2] == (2, 0)
        assert invoices_issue_due()[:2] == (0, 0)
    assert Invoice.objects.get(source="order").order == account
    receipt = Invoice.objects.get(source="receipt")
    assert receipt.order == card and receipt.status == Invoice.Status.PAID


def test_monthly_customers_get_one_invoice_for_last_month_on_the_first():
    checkout = _checkout(invoicing="monthly")
    with clock.frozen_at(dt.datetime(2027, 3, 5, 12, tzinfo=dt.UTC)):
        march_1 = place_test_order(checkout, quantity=2, kind="account")
    with clock.frozen_at(dt.datetime(2027, 3, 28, 12, tzinfo=dt.UTC)):
        march_2 = place_test_order(checkout, quantity=3, kind="account")
        assert invoices_issue_due()[:2] == (0, 0)  # not before the month is over
    with clock.frozen_at(dt.datetime(2027, 4, 1, 0, 30, tzinfo=dt.UTC)):
        april = place_test_order(checkout, quantity=1, kind="account")
        assert invoices_issue_due()[:2] == (1, 0)
        assert invoices_issue_due()[:2] == (0, 0)
    invoice = Invoice.objects.get()
    assert invoice.source == "monthly" and invoice.source_id.endswith(":2027-03")
    assert invoice.total == march_1.total + march_2.total
    assert sorted(line.quantity for line in invoice.lines.all()) == [2, 3]
    april.refresh_from_db()
    assert april.invoiced_total == 0


def test_a_cancelled_remainder_of_an_order_invoiced_at_placement_is_credited_once():
    from autosales.fulfillment.cancellation import order_cancel_remainder

    with clock.frozen_at(APRIL):
        checkout = _checkout(invoicing="per_order")
        order = place_test_order(checkout, quantity=10, kind="account")
        assert invoices_issue_due()[:2] == (1, 0)
        _ship(order, 4, "1Z999AA10123456784")
        order.refresh_from_db()
        order_cancel_remainder(order=order, reason="Discontinued", actor=make_staff())
        assert invoices_issue_due()[:2] == (1, 0)
        assert invoices_issue_due()[:2] == (0, 0)
    invoice = Invoice.objects.get(kind="invoice")
    note = Invoice.objects.get(kind="credit_note")
    assert note.credited_invoice == invoice and note.lines.get().quantity == 6
    assert note.subtotal == 6 * order.lines.get().unit_price
    invoice.refresh_from_db()
    assert invoice.balance.amount == invoice.total - note.total


def test_an_order_invoiced_at_placement_then_cancelled_is_credited_in_full():
    from autosales.orders.services import order_cancel

    with clock.frozen_at(APRIL):
        checkout = _checkout(invoicing="per_order")
        order = place_test_order(checkout, quantity=3, kind="account")
        invoices_issue_due()
        order_cancel(order=order, actor=None, reason="Ordered twice")
        assert invoices_issue_due()[:2] == (1, 0)
        assert invoices_issue_due()[:2] == (0, 0)
    invoice = Invoice.objects.get(kind="invoice")
    note = Invoice.objects.get(kind="credit_note")
    assert note.lines.get().quantity == 3 and note.total == invoice.total
    invoice.refresh_from_db()
    assert invoice.status == "void" and invoice.balance.amount == 0
