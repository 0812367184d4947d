"""Recording payments received: oldest due first, by hand, partial, overpayment kept as credit for the next
invoice; bad input named and nothing written; one payment per Idempotency-Key."""

import datetime as dt
from decimal import Decimal
from types import SimpleNamespace

import pytest

from autosales.billing.issuing import invoice_issue_for_order
from autosales.billing.models import Invoice, LedgerEntry, PaymentReceived
from autosales.billing.payments_received import AllocationRequest, payment_allocate, payment_record
from autosales.core import clock
from autosales.core.errors import Conflict, DomainError
from tests.factories import (
    make_address,
    make_checkout,
    make_member,
    make_product,
    make_shipping_method,
    make_staff,
    place_test_order,
)

pytestmark = pytest.mark.django_db

JULY = dt.datetime(2027, 7, 1, 12, tzinfo=dt.UTC)


def _invoices(n, quantity=1):
    checkout = make_checkout(price="10.00", stock=100, has_account_terms=True, credit_limit=100_000)
    invoices = []
    for i in range(n):
        with clock.frozen_at(JULY + dt.timedelta(days=i)):
            order = place_test_order(checkout, quantity=quantity, kind="account")
            invoices.append(invoice_issue_for_order(order=order))  # each 10 + 5 shipping = 15.00
    return checkout.organization, invoices


def _pay(organization, amount, **kw):
    kw.setdefault("method", "bank_transfer")
    kw.setdefault("received_on", dt.date(2027, 7, 20))
    with clock.frozen_at(dt.datetime(2027, 7, 20, 12, tzinfo=dt.UTC)):
        return payment_record(organization=organization, amount=amount, actor=make_staff(), **kw)


def test_a_payment_settles_the_oldest_invoices_first_and_a_partial_payment_leaves_the_rest_open():
    organization, (first, second, third) = _invoices(3)
    payment = _pay(organization, "20.00", reference="TRF 881")
    for invoice in (first, second, third):
        invoice.refresh_from_db()
    assert first.status == Invoice.Status.PAID and first.balance.amount == 0
    assert second.status == Invoice.Status.OPEN and second.balance.amount == Decimal("10.00")
    assert third.amount_settled == 0
    assert payment.amount_allocated == Decimal("20.00")
    organization.refresh_from_db()
    assert organization.account_balance == Decimal("25.00")


def test_an_overpayment_is_credit_that_the_next_invoice_uses():
    organization, (_first,) = _invoices(1)
    payment = _pay(organization, "40.00", method="cheque", reference="CHQ 1002")
    assert payment.unallocated.amount == Decimal("25.00")
    organization.refresh_from_db()
    assert organization.account_balance == Decimal("-25.00")
    checkout_order = place_test_order(_checkout_for(organization), quantity=1, kind="account")
    with clock.frozen_at(JULY + dt.timedelta(days=30)):
        nxt = invoice_issue_for_order(order=checkout_order)
    assert nxt.status == Invoice.Status.PAID
    payment.refresh_from_db()
    assert payment.unallocated.amount == Decimal("10.00")


def _checkout_for(organization):
    product = make_product(price="10.00", stock=10)
    return SimpleNamespace(
        organization=organization,
        user=make_member(organization=organization),
        address=make_address(organization=organization),
        product=product,
        variant=product.variants.get(),
        shipping_method=make_shipping_method(),
    )


def test_allocating_by_hand_to_named_invoices():
    organization, (first, second) = _invoices(2)
    payment = _pay(
        organization,
        "20.00",
        allocations=[
            AllocationRequest(invoice_number=second.number, amount="15.00"),
            AllocationRequest(first.number, "5"),
        ],
    )
    first.refresh_from_db()
    second.refresh_from_db()
    assert second.status == Invoice.Status.PAID and first.balance.amount == Decimal("10.00")
    assert payment.unallocated.amount == 0


def test_leftover_credit_can_be_allocated_later_by_hand():
    organization, (first,) = _invoices(1)
    payment = _pay(organization, "5.00", allocations=[AllocationRequest(first.number, "1.00")])
    payment_allocate(payment=payment, allocations=[AllocationRequest(first.number, "4.00")])
    first.refresh_from_db()
    assert first.amount_settled == Decimal("5.00")
    with pytest.raises(Conflict) as refused:
        payment_allocate(payment=payment, allocations=[AllocationRequest(first.number, "0.01")])
    assert refused.value.field == "allocations[0].amount"


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"amount": "-5"}, "amount"),
        ({"amount": "abc"}, "amount"),
        ({"amount": "1.005"}, "amount"),
        ({"method": "bitcoin"}, "method"),
        ({"received_on": dt.date(2099, 1, 1)}, "received_on"),
        ({"reference": "x\x00"}, "reference"),
        ({"allocations": [AllocationRequest("INV-1999-000001", "1")]}, "allocations[0].invoice"),
        ({"amount": "10", "allocations": [AllocationRequest("__FIRST__", "20")]}, "allocations[0].amount"),
    ],
)
def test_bad_input_names_the_field_and_records_nothing(changes, field):
    organization, (first,) = _invoices(1)
    if "allocations" in changes:
        changes["allocations"] = [
            AllocationRequest(first.number if a.invoice_number == "__FIRST__" else a.invoice_number, a.amount)
            for a in changes["allocations"]
        ]
    arguments = {"amount": "10.00", **changes}
    with pytest.raises(DomainError) as refused:
        _pay(organization, **arguments)
    assert refused.value.field == field
    assert not PaymentReceived.objects.exists()
    assert not LedgerEntry.objects.filter(kind="payment").exists()


def test_the_same_idempotency_key_records_one_payment():
    organization, _ = _invoices(1)
    first = _pay(organization, "5.00", reference="A", idempotency_key="k-1")
    again = _pay(organization, "5.00", reference="A", idempotency_key="k-1")
    assert again.pk == first.pk and PaymentReceived.objects.count() == 1
    with pytest.raises(Conflict) as refused:
        _pay(organization, "6.00", reference="A", idempotency_key="k-1")
    assert refused.value.field == "Idempotency-Key"
