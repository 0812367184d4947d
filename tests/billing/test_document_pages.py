"""Invoices on the customer's pages (its organization's only) and in the back office, with their PDF."""

import datetime as dt
import io

import pytest
from pypdf import PdfReader

from autosales.billing.issuing import invoice_issue_for_order
from autosales.core import clock
from autosales.customers.staff_roles import ACCOUNTS, FULFILLMENT, SALESPERSON
from tests.factories import make_checkout, make_staff, place_test_order

pytestmark = pytest.mark.django_db

JUNE = dt.datetime(2027, 6, 1, 12, tzinfo=dt.UTC)


def _invoiced(**org):
    checkout = make_checkout(has_account_terms=True, credit_limit=10_000, **org)
    order = place_test_order(checkout, quantity=2, kind="account")
    return checkout, invoice_issue_for_order(order=order)


def test_a_buyer_lists_sees_and_downloads_its_invoices(client):
    with clock.frozen_at(JUNE):
        checkout, invoice = _invoiced()
    client.force_login(checkout.user)
    listing = client.get("/account/invoices/?state=open").content.decode()
    assert invoice.number in listing and str(invoice.total_money) in listing
    assert "Available credit" in listing
    detail = client.get(f"/account/invoices/{invoice.public_id}/")
    assert detail.status_code == 200 and invoice.number in detail.content.decode()
    pdf = client.get(f"/account/invoices/{invoice.public_id}/pdf/")
    assert pdf["Content-Type"] == "application/pdf"
    assert invoice.number in PdfReader(io.BytesIO(pdf.content)).pages[0].extract_text()
    assert invoice.number not in client.get("/account/invoices/?state=paid").content.decode()


def test_another_organization_gets_a_404_for_the_invoice_and_its_pdf(client):
    with clock.frozen_at(JUNE):
        _checkout, invoice = _invoiced()
        other = make_checkout()
    client.force_login(other.user)
    assert client.get(f"/account/invoices/{invoice.public_id}/").status_code == 404
    assert client.get(f"/account/invoices/{invoice.public_id}/pdf/").status_code == 404
    assert invoice.number not in client.get("/account/invoices/").content.decode()


@pytest.mark.parametrize(("group", "allowed"), [(ACCOUNTS, True), (SALESPERSON, True), (FULFILLMENT, False)])
def test_staff_with_the_billing_view_permission_see_invoices(client, group, allowed):
    with clock.frozen_at(JUNE):
        _checkout, invoice = _invoiced()
    client.force_login(make_staff(group=group))
    expected = 200 if allowed else 403
    assert client.get("/backoffice/billing/invoices/").status_code == expected
    assert client.get(f"/backoffice/billing/invoices/{invoice.public_id}/").status_code == expected
    pdf = client.get(f"/backoffice/billing/invoices/{invoice.public_id}/pdf/")
    assert pdf.status_code == expected
    if allowed:
        assert invoice.number in client.get("/backoffice/billing/invoices/").content.decode()


def _queries(client, url) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as seen:
        assert client.get(url).status_code == 200
    return len(seen)


def test_invoice_lists_and_the_ledger_take_the_same_queries_for_3_or_30_invoices(client):
    from tests.factories import make_account_order, make_member, make_organization

    counts = []
    staff = make_staff(group=ACCOUNTS)
    for n in (3, 30):
        organization = make_organization(has_account_terms=True, credit_limit=100_000)
        buyer = make_member(organization=organization)
        with clock.frozen_at(JUNE):
            for _ in range(n):
                invoice_issue_for_order(order=make_account_order(organization=organization))
        client.force_login(buyer)
        shop = _queries(client, "/account/invoices/")
        client.force_login(staff)
        back = _queries(client, "/backoffice/billing/invoices/")
        ledger = _queries(client, f"/backoffice/billing/customers/{organization.public_id}/")
        counts.append((shop, back, ledger))
    assert counts[0] == counts[1]
    assert max(counts[0]) <= 15, counts
