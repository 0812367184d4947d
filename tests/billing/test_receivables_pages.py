"""Back-office receivables: aging per customer in a fixed number of queries, the overdue list, a customer's
ledger with payment entry and allocation, credit notes from the invoice page, CSV exports."""

import csv
import datetime as dt
import io
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from autosales.billing.issuing import invoice_issue_for_order
from autosales.billing.models import Invoice, PaymentReceived
from autosales.core import clock
from autosales.customers.staff_roles import ACCOUNTS, SALESPERSON
from tests.factories import make_account_order, make_organization, make_staff

pytestmark = pytest.mark.django_db

ISSUED = dt.datetime(2027, 1, 4, 12, tzinfo=dt.UTC)  # due Feb 3 (net 30)


def _customers(n, *, invoices=1, **org):
    made = []
    for i in range(n):
        organization = make_organization(name=f"Customer {i:03d}", has_account_terms=True, credit_limit=5000, **org)
        with clock.frozen_at(ISSUED):
            for _ in range(invoices):
                invoice_issue_for_order(order=make_account_order(organization=organization))
        made.append(organization)
    return made


def test_receivables_show_aging_per_customer_in_a_fixed_number_of_queries(client):
    client.force_login(make_staff(group=ACCOUNTS))
    counts = []
    for n in (2, 20):
        _customers(n)
        with clock.frozen_at(dt.datetime(2027, 3, 20, 12, tzinfo=dt.UTC)), CaptureQueriesContext(connection) as seen:
            page = client.get("/backoffice/billing/receivables/")
        counts.append(len(seen))
    assert counts[0] == counts[1]
    text = page.content.decode()
    assert "Customer 000" in text and "31–60" in text


def test_the_aging_csv_puts_each_invoice_in_its_bucket(client):
    [organization] = _customers(1)
    with clock.frozen_at(dt.datetime(2027, 5, 20, 12, tzinfo=dt.UTC)):
        invoice_issue_for_order(order=make_account_order(organization=organization))  # current
    client.force_login(make_staff(group=ACCOUNTS))
    with clock.frozen_at(dt.datetime(2027, 5, 20, 12, tzinfo=dt.UTC)):  # the January invoice is 106 days late
        body = client.get("/backoffice/billing/receivables/?format=csv").content.decode()
    [row] = list(csv.DictReader(io.StringIO(body)))
    assert row["current"] == "15.00" and row["over_90"] == "15.00" and row["total"] == "30.00"
    assert row["days_1_30"] == row["days_31_60"] == row["days_61_90"] == "0.00"


def test_staff_record_a_payment_on_the_customer_page_and_it_settles_the_oldest_invoice(client):
    [organization] = _customers(1, invoices=2)
    client.force_login(make_staff(group=ACCOUNTS))
    url = f"/backoffice/billing/customers/{organization.public_id}/"
    with clock.frozen_at(dt.datetime(2027, 2, 1, 12, tzinfo=dt.UTC)):
        response = client.post(
            url,
            {
                "method": "bank_transfer",
                "amount": "20.00",
                "received_on": "2027-02-01",
                "reference": "TRF 77",
                "payer": "",
                "allocation": "oldest",
            },
        )
        assert response.status_code == 302
        page = client.get(url).content.decode()
    first, second = Invoice.objects.order_by("sequence")
    assert first.status == "paid" and second.balance.amount == Decimal("10.00")
    assert "TRF 77" in page and "$10.00" in page


def test_a_payment_allocated_by_hand_on_the_page(client):
    [organization] = _customers(1, invoices=2)
    first, second = Invoice.objects.order_by("sequence")
    client.force_login(make_staff(group=ACCOUNTS))
    with clock.frozen_at(dt.datetime(2027, 2, 1, 12, tzinfo=dt.UTC)):
        client.post(
            f"/backoffice/billing/customers/{organization.public_id}/",
            {
                "method": "cheque",
                "amount": "15.00",
                "received_on": "2027-02-01",
                "allocation": "manual",
                f"allocate_{second.public_id}": "15.00",
                f"allocate_{first.public_id}": "0",
            },
        )
    second.refresh_from_db()
    first.refresh_from_db()
    assert second.status == "paid" and first.status == "open"


def test_a_bad_payment_on_the_page_shows_the_reason_and_records_nothing(client):
    [organization] = _customers(1)
    client.force_login(make_staff(group=ACCOUNTS))
    with clock.frozen_at(dt.datetime(2027, 2, 1, 12, tzinfo=dt.UTC)):
        response = client.post(
            f"/backoffice/billing/customers/{organization.public_id}/",
            {"method": "cheque", "amount": "-4", "received_on": "2027-02-01", "allocation": "oldest"},
        )
    assert response.status_code == 200 and "more than zero" in response.content.decode()
    assert not PaymentReceived.objects.exists()


def test_a_salesperson_sees_receivables_but_cannot_record_payments(client):
    [organization] = _customers(1)
    client.force_login(make_staff(group=SALESPERSON))
    assert client.get("/backoffice/billing/receivables/").status_code == 200
    response = client.post(
        f"/backoffice/billing/customers/{organization.public_id}/",
        {"method": "cheque", "amount": "4", "received_on": "2027-02-01", "allocation": "oldest"},
    )
    assert response.status_code == 403 and not PaymentReceived.objects.exists()


def test_a_credit_note_from_the_invoice_page(client):
    [_organization] = _customers(1)
    invoice = Invoice.objects.get()
    client.force_login(make_staff(group=ACCOUNTS))
    with clock.frozen_at(ISSUED):
        response = client.post(
            f"/backoffice/billing/invoices/{invoice.public_id}/credit-note/",
            {f"line_{invoice.lines.get().pk}": "1", "reason": "Returned", "credit_shipping": "on"},
        )
    note = Invoice.objects.get(kind="credit_note")
    assert response.status_code == 302 and note.total == invoice.total
    invoice.refresh_from_db()
    assert invoice.status == "void"


def test_invoice_and_payment_csv_exports(client):
    _customers(2)
    client.force_login(make_staff(group=ACCOUNTS))
    rows = list(csv.DictReader(io.StringIO(client.get("/backoffice/billing/invoices.csv").content.decode())))
    assert len(rows) == 2 and rows[0]["number"].startswith("INV-2027-")
    assert client.get("/backoffice/billing/payments/?format=csv").status_code == 200
    assert client.get("/backoffice/billing/overdue/").status_code == 200
