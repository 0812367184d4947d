"""crm.timeline_sync reads fulfillment and billing: shipments shipped and delivered, invoices and credit notes,
payments received, overdue reminders and the credit hold put on and lifted land on the customer's timeline, each
once however often the sync runs, and the profile's timeline still takes a fixed number of queries."""

import datetime as dt
from collections import Counter
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from autosales.billing.credit_notes import CreditLine, credit_note_issue
from autosales.billing.dunning import credit_holds_review, reminders_send
from autosales.billing.jobs import invoices_issue_due
from autosales.billing.models import Invoice
from autosales.billing.payments_received import payment_record
from autosales.core import clock
from autosales.crm.models import Activity, ActivityKind
from autosales.crm.timeline import timeline_sync
from autosales.fulfillment.services import shipment_create, shipment_mark_delivered
from autosales.inventory.models import StockLevel
from tests.factories import make_checkout, make_salesperson, make_staff, place_test_order

pytestmark = pytest.mark.django_db

START = dt.datetime(2027, 3, 1, 15, tzinfo=dt.UTC)


def _ship(order, units, tracking):
    line = order.lines.get()
    warehouse = StockLevel.objects.get(variant_id=line.variant_id).warehouse
    return shipment_create(
        order=order,
        warehouse=warehouse,
        lines={line.pk: units},
        carrier="ups",
        tracking_number=tracking,
        actor=make_staff(),
    )


def _entries(organization, kind):
    return list(Activity.objects.filter(organization=organization, kind=kind).order_by("at", "pk"))


def test_a_year_of_an_account_on_the_timeline_each_event_once(settings):
    settings.BILLING_CREDIT_HOLD_AFTER_DAYS = 30
    sales = make_salesperson()
    checkout = make_checkout(
        stock=100,
        has_account_terms=True,
        credit_limit=100_000,
        reminder_days="0",
        salesperson=sales,
        billing_email="ap@harbor.example",
    )
    organization = checkout.organization
    with clock.frozen_at(START):
        order = place_test_order(checkout, quantity=10, kind="account")
        first = _ship(order, 4, "1Z999AA10123456784")
        invoices_issue_due()
        timeline_sync()
    with clock.frozen_at(START + dt.timedelta(days=2)):
        second = _ship(order, 6, "1Z999AA10123456785")
        shipment_mark_delivered(shipment=first, actor=None, delivered_at=START + dt.timedelta(days=1))
        invoices_issue_due()
        invoice = Invoice.objects.filter(organization=organization, kind="invoice").order_by("pk").first()
        credit_note_issue(
            invoice=invoice,
            lines=[CreditLine(description="Two bulbs broken", amount=Decimal("5.00"))],
            reason="Damaged in transit",
        )
        timeline_sync()
        timeline_sync()
    # Both invoices are due 30 days later; nothing is paid: the reminder on the day, the hold 30 days after.
    for days in (32, 32, 62, 62):
        day = (START + dt.timedelta(days=days)).date()
        with clock.frozen_at(START + dt.timedelta(days=days)):
            reminders_send(today=day)
            credit_holds_review(today=day)
            timeline_sync()
    organization.refresh_from_db()
    assert organization.credit_hold
    with clock.frozen_at(START + dt.timedelta(days=63)):
        payment_record(
            organization=organization,
            method="bank_transfer",
            amount=Decimal("1000.00"),
            received_on=(START + dt.timedelta(days=63)).date(),
            reference="Remittance 88",
            payer="Harbor View",
        )
        timeline_sync()
        timeline_sync()

    shipments = _entries(organization, ActivityKind.SHIPMENT)
    assert [e.subject for e in shipments] == [
        f"Shipment {first.number} of order {order.number_display} shipped",
        f"Shipment {first.number} of order {order.number_display} delivered",
        f"Shipment {second.number} of order {order.number_display} shipped",
    ]
    assert shipments[0].body == "UPS 1Z999AA10123456784, 1 parcel." and shipments[0].data["order"] == order.public_id
    assert shipments[1].at == START + dt.timedelta(days=1)  # when it arrived, recorded the day after

    invoices = _entries(organization, ActivityKind.INVOICE)
    issued = [e for e in invoices if e.data["document"] == "invoice"]
    credit = [e for e in invoices if e.data["document"] == "credit_note"]
    assert len(issued) == 2 and len(credit) == 1
    assert issued[0].subject.startswith(f"Invoice {invoice.number} issued for $") and "Due " in issued[0].body
    assert credit[0].subject.endswith(f"on {invoice.number}") and credit[0].body == "Damaged in transit"

    account = Counter(e.data["account_event"] for e in _entries(organization, ActivityKind.ACCOUNT))
    assert account == {"reminder": 2, "credit_hold": 1, "credit_released": 1}

    (payment,) = _entries(organization, ActivityKind.PAYMENT)
    assert payment.subject == "Payment of $1,000.00 by bank transfer"
    assert "Remittance 88" in payment.body and "Harbor View" in payment.body

    # The order's own shipping and delivery moves are the shipments' entries, not doubled as order entries.
    order_subjects = [e.subject for e in _entries(organization, ActivityKind.ORDER)]
    assert not any("shipped" in s or "delivered" in s for s in order_subjects), order_subjects
    # Every system entry once, and a later sync writes nothing more.
    keys = list(Activity.objects.filter(organization=organization).values_list("source_key", flat=True))
    assert len(keys) == len(set(keys))
    with clock.frozen_at(START + dt.timedelta(days=64)):
        assert timeline_sync() == 0


def test_a_card_order_adds_no_receipt_or_card_payment_entry():
    checkout = make_checkout(stock=10)
    place_test_order(checkout, quantity=1)
    invoices_issue_due()

    timeline_sync()

    kinds = set(Activity.objects.filter(organization=checkout.organization).values_list("kind", flat=True))
    assert ActivityKind.INVOICE not in kinds and ActivityKind.PAYMENT not in kinds
    assert ActivityKind.ORDER in kinds


def _profile_queries(client, organization) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(f"/backoffice/crm/customers/{organization.public_id}/")
    assert response.status_code == 200
    return len(queries)


def test_the_profile_timeline_with_shipments_and_invoices_keeps_a_fixed_query_count(client):
    sales = make_salesperson()
    checkout = make_checkout(stock=100, has_account_terms=True, credit_limit=100_000, salesperson=sales)
    client.force_login(sales)
    order = place_test_order(checkout, quantity=10, kind="account")
    _ship(order, 1, "1Z1")
    invoices_issue_due()
    timeline_sync()
    few = _profile_queries(client, checkout.organization)

    for n in range(2, 6):
        _ship(order, 1, f"1Z{n}")
    invoices_issue_due()
    timeline_sync()
    page = client.get(f"/backoffice/crm/customers/{checkout.organization.public_id}/").content.decode()

    assert _profile_queries(client, checkout.organization) == few
    assert page.count("Shipment SH-") >= 5 and "Invoice INV-" in page
