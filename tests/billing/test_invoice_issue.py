"""Issuing invoices from what shipped, per order, as card receipts; credit notes; the ledger they write."""

import datetime as dt
from decimal import Decimal

import pytest

from autosales.billing.credit_notes import CreditLine, credit_note_issue
from autosales.billing.issuing import ShippedLine, WhatShipped, invoice_issue_for_order, invoice_issue_for_shipment
from autosales.billing.ledger import ledger_balance
from autosales.billing.models import Invoice, LedgerEntry
from autosales.core import clock
from autosales.core.errors import Conflict, DomainError
from autosales.notifications.models import OutboxEmail
from autosales.orders.selectors import account_exposure
from tests.factories import make_checkout, make_tax_rate, place_test_order

pytestmark = pytest.mark.django_db

MARCH = dt.datetime(2027, 3, 10, 15, tzinfo=dt.UTC)


def _account_order(quantity=10, **org):
    org.setdefault("has_account_terms", True)
    org.setdefault("credit_limit", 100000)
    org.setdefault("billing_email", "ap@buyer.example")
    checkout = make_checkout(price="10.00", stock=100, **org)
    make_tax_rate(rate_percent="6.25")
    order = place_test_order(checkout, quantity=quantity, kind="account", customer_reference="PO-77")
    return checkout, order


def _shipped(order, quantity, ref="SH-1"):
    line = order.lines.get()
    return WhatShipped(
        order_id=order.pk,
        lines=(ShippedLine(order_line_id=line.pk, quantity=quantity),),
        shipped_at=clock.now(),
        reference=ref,
        shipment_id=ref,
    )


def test_two_shipments_make_two_invoices_that_add_up_to_the_order():
    with clock.frozen_at(MARCH):
        checkout, order = _account_order(quantity=10)  # 100.00 + 5.00 shipping + 6.25% tax
        first = invoice_issue_for_shipment(shipped=_shipped(order, 3, "SH-1"))
        second = invoice_issue_for_shipment(shipped=_shipped(order, 7, "SH-2"))

    assert (first.number, second.number) == ("INV-2027-000001", "INV-2027-000002")
    assert first.subtotal == Decimal("30.00") and first.shipping == order.shipping
    assert second.subtotal == Decimal("70.00") and second.shipping == 0
    assert first.total + second.total == order.total
    assert first.tax + second.tax == order.tax
    assert first.customer_reference == "PO-77" and first.shipment_reference == "SH-1"
    assert first.due_date == dt.date(2027, 4, 9)  # net 30
    assert checkout.address.line1 in first.ship_to and checkout.organization.name in first.bill_to
    order.refresh_from_db()
    assert order.invoiced_total == order.total
    assert order.lines.get().quantity_invoiced == 10


def test_a_shipment_is_invoiced_once_and_never_beyond_what_was_ordered():
    with clock.frozen_at(MARCH):
        _checkout, order = _account_order(quantity=5)
        invoice = invoice_issue_for_shipment(shipped=_shipped(order, 5, "SH-9"))
        again = invoice_issue_for_shipment(shipped=_shipped(order, 5, "SH-9"))
        assert again.pk == invoice.pk
        with pytest.raises(Conflict) as refused:
            invoice_issue_for_shipment(shipped=_shipped(order, 1, "SH-10"))
    assert refused.value.field == "quantity"
    assert Invoice.objects.count() == 1
    assert OutboxEmail.objects.filter(template="billing/document").count() == 1


def test_numbers_restart_each_year_and_credit_notes_have_their_own_series(settings):
    settings.BILLING_INVOICE_PREFIX = "FAC"
    with clock.frozen_at(dt.datetime(2027, 12, 31, 12, tzinfo=dt.UTC)):
        _checkout, order = _account_order(quantity=4)
        december = invoice_issue_for_shipment(shipped=_shipped(order, 2, "A"))
        note = credit_note_issue(
            invoice=december, lines=[CreditLine(invoice_line_id=december.lines.get().pk, quantity=1)], reason="Broken"
        )
    with clock.frozen_at(dt.datetime(2028, 1, 2, 12, tzinfo=dt.UTC)):
        january = invoice_issue_for_shipment(shipped=_shipped(order, 2, "B"))
    assert december.number == "FAC-2027-000001"
    assert january.number == "FAC-2028-000001"
    assert note.number == "CN-2027-000001"


def test_end_of_month_terms(settings):
    with clock.frozen_at(MARCH):
        _checkout, order = _account_order(quantity=1, terms_basis="end_of_month", payment_terms_days=15)
        invoice = invoice_issue_for_shipment(shipped=_shipped(order, 1))
    assert invoice.due_date == dt.date(2027, 4, 15)
    assert invoice.terms_label == "End of month + 15"


def test_a_credit_note_settles_its_invoice_and_the_rest_is_credit_for_the_next_invoice():
    with clock.frozen_at(MARCH):
        _checkout, order = _account_order(quantity=10)
        first = invoice_issue_for_shipment(shipped=_shipped(order, 2, "S1"))  # 20 + 5 shipping + tax
        note = credit_note_issue(
            invoice=first,
            lines=[CreditLine(invoice_line_id=first.lines.get().pk, quantity=2)],
            credit_shipping=True,
            reason="Returned",
        )
        first.refresh_from_db()
        note.refresh_from_db()
        assert note.total == first.total and first.status == Invoice.Status.VOID
        assert note.status == Invoice.Status.PAID

        with pytest.raises(Conflict):
            credit_note_issue(
                invoice=first, lines=[CreditLine(description="Goodwill", amount=Decimal("1"))], reason="Too much"
            )


def test_an_amount_credit_beyond_the_open_balance_stays_as_credit_and_the_next_invoice_uses_it():
    with clock.frozen_at(MARCH):
        checkout, order = _account_order(quantity=10)
        first = invoice_issue_for_shipment(shipped=_shipped(order, 5, "S1"))
        note = credit_note_issue(
            invoice=first,
            lines=[CreditLine(description="Price adjustment", amount=Decimal("10.00"))],
            reason="Agreed price",
        )
        first.refresh_from_db()
        note.refresh_from_db()
        assert first.balance.amount == first.total - note.total
        second = invoice_issue_for_shipment(shipped=_shipped(order, 5, "S2"))
    assert note.tax == Decimal("0.63")  # its share of the invoice's tax
    assert second.amount_settled == 0  # the credit was used up by its own invoice
    assert ledger_balance(organization=checkout.organization).amount == first.total + second.total - note.total


def test_a_per_order_invoice_and_a_card_receipt():
    with clock.frozen_at(MARCH):
        checkout, order = _account_order(quantity=3, invoicing="per_order")
        invoice = invoice_issue_for_order(order=order)
        card_order = place_test_order(checkout, quantity=2)
        receipt = invoice_issue_for_order(order=card_order)
    assert invoice.total == order.total and invoice.status == Invoice.Status.OPEN
    assert receipt.total == card_order.total and receipt.status == Invoice.Status.PAID
    assert receipt.source == Invoice.Source.RECEIPT and receipt.terms_label == "Paid by card"
    organization = checkout.organization
    organization.refresh_from_db()
    assert organization.account_balance == invoice.total
    kinds = list(LedgerEntry.objects.filter(organization=organization).values_list("kind", flat=True))
    assert sorted(kinds) == ["invoice", "invoice", "payment"]


def test_the_credit_limit_counts_invoices_not_paid_and_orders_not_yet_invoiced():
    with clock.frozen_at(MARCH):
        checkout, order = _account_order(quantity=10)
        organization = checkout.organization
        assert account_exposure(organization=organization) == order.total_money
        invoice_issue_for_shipment(shipped=_shipped(order, 4, "S1"))
        organization.refresh_from_db()
        # Part invoiced (in the balance), part not (still on the order): the same exposure in total.
        assert account_exposure(organization=organization) == order.total_money


def test_bad_shipped_quantities_are_refused_and_change_nothing():
    with clock.frozen_at(MARCH):
        _checkout, order = _account_order(quantity=2)
        with pytest.raises(DomainError) as refused:
            invoice_issue_for_shipment(shipped=_shipped(order, 0))
    assert refused.value.field == "quantity"
    assert not Invoice.objects.exists() and not LedgerEntry.objects.exists()


def test_the_admin_shows_an_issued_invoice_and_cannot_change_it(client):
    from tests.factories import make_user

    with clock.frozen_at(MARCH):
        _checkout, order = _account_order(quantity=1)
        invoice = invoice_issue_for_shipment(shipped=_shipped(order, 1))
    admin_user = make_user(is_staff=True, is_superuser=True)
    client.force_login(admin_user)
    page = client.get(f"/admin/billing/invoice/{invoice.pk}/change/")
    assert page.status_code == 200 and invoice.number in page.content.decode()
    client.post(f"/admin/billing/invoice/{invoice.pk}/change/", {"total": "0", "number": "X"})
    client.post(f"/admin/billing/invoice/{invoice.pk}/delete/", {"post": "yes"})
    invoice.refresh_from_db()
    assert invoice.total == order.total and invoice.number == "INV-2027-000001"


def test_an_issued_invoice_refuses_any_change_but_its_settlement():
    with clock.frozen_at(MARCH):
        _checkout, order = _account_order(quantity=1)
        invoice = invoice_issue_for_shipment(shipped=_shipped(order, 1))
    invoice.total = Decimal("1.00")
    with pytest.raises(Conflict) as refused:
        invoice.save()
    assert refused.value.code == "billing_issued_invoice_is_final"
    with pytest.raises(Conflict):
        invoice.save(update_fields=["total"])
