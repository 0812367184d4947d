"""Billing in the CRM: the profile shows the account's payment terms, credit limit, balance, available credit and
overdue amount (a fixed number of queries however many invoices), and the daily digest lists the salesperson's
customers' overdue invoices (not another salesperson's, not paid ones)."""

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from autosales.billing.issuing import invoice_issue_for_order
from autosales.billing.payments_received import payment_record
from autosales.core import clock
from autosales.crm.digest import digests_send
from autosales.notifications.models import OutboxEmail
from autosales.notifications.services import outbox_email_render
from tests.factories import make_account_order, make_checkout, make_salesperson

pytestmark = pytest.mark.django_db

MARCH = dt.datetime(2027, 3, 1, 15, tzinfo=dt.UTC)


def _account(sales, **fields):
    fields.setdefault("has_account_terms", True)
    fields.setdefault("credit_limit", Decimal("5000"))
    fields.setdefault("payment_terms_days", 30)
    return make_checkout(salesperson=sales, **fields).organization


def _invoice(organization, amount):
    order = make_account_order(organization=organization, unit_price=amount, shipping="0.00")
    return invoice_issue_for_order(order=order)


def _facts(html: str) -> dict[str, str]:
    return {
        k.strip(): re.sub(r"<[^>]+>|\s+", " ", v).strip()
        for k, v in re.findall(r"<dt>([^<]+)</dt><dd>(.*?)</dd>", html, re.S)
    }


def _profile(client, organization):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(f"/backoffice/crm/customers/{organization.public_id}/")
    assert response.status_code == 200
    return _facts(response.content.decode()), len(queries)


def test_the_profile_shows_the_accounts_credit_from_billing(client):
    sales = make_salesperson()
    client.force_login(sales)
    organization = _account(sales)
    with clock.frozen_at(MARCH):
        late = _invoice(organization, "1200.00")  # due March 31
    with clock.frozen_at(MARCH + dt.timedelta(days=40)):
        _invoice(organization, "300.00")
        payment_record(
            organization=organization,
            method="bank_transfer",
            amount=Decimal("200.00"),
            received_on=dt.date(2027, 4, 10),
        )
        facts, few = _profile(client, organization)

        assert facts["Payment terms"].startswith("Net 30")
        assert facts["Credit limit"] == "$5,000.00"
        assert facts["Balance"].startswith("$1,300.00")  # 1,200 + 300 - 200 paid on the oldest
        assert facts["Available credit"] == "$3,700.00"
        assert facts["Overdue"] == "$1,000.00"  # what is left of the March invoice
        assert late.number

        for _ in range(5):
            _invoice(organization, "10.00")
        facts, many = _profile(client, organization)
    assert many == few
    assert facts["Balance"].startswith("$1,350.00")


def test_a_customer_without_account_terms_shows_no_credit(client):
    sales = make_salesperson()
    client.force_login(sales)
    organization = make_checkout(salesperson=sales).organization
    facts, _ = _profile(client, organization)
    assert "Credit limit" not in facts and "Overdue" not in facts


def test_the_digest_lists_my_customers_overdue_invoices():
    sales = make_salesperson(email="sally@example.com")
    mine = _account(sales, name="Harbor View Hotels")
    theirs = _account(make_salesperson(), name="Someone Else's")
    with clock.frozen_at(MARCH):
        paid = _invoice(mine, "80.00")  # issued first: the payment settles it (oldest first)
        overdue = _invoice(mine, "120.00")
        _invoice(theirs, "99.00")
    with clock.frozen_at(MARCH + dt.timedelta(days=20)):
        payment_record(organization=mine, method="cheque", amount=Decimal("80.00"), received_on=dt.date(2027, 3, 21))
        not_due = _invoice(mine, "55.00")
    with clock.frozen_at(dt.datetime(2027, 4, 5, 15, tzinfo=dt.UTC)):
        digests_send()

    email = OutboxEmail.objects.get(template="crm/digest", to=["sally@example.com"])
    subject, text, html = outbox_email_render(email=email)
    assert "1 overdue invoice" in subject
    section = text.split("OVERDUE INVOICES", 1)[1]
    assert f"Harbor View Hotels: {overdue.number}, $120.00 open, due Mar 31" in section
    assert paid.number not in text and not_due.number not in text and "Someone Else" not in text
    assert overdue.number in html


def test_the_api_profile_has_billings_figures_and_lists_do_not(client):
    from autosales.customers.tokens import token_create

    sales = make_salesperson()
    organization = _account(sales)
    with clock.frozen_at(MARCH):
        _invoice(organization, "1200.00")
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token_create(user=sales)}"}

    with clock.frozen_at(MARCH + dt.timedelta(days=40)):
        detail = client.get(f"/api/v1/crm/organizations/{organization.public_id}", **headers).json()
        listed = client.get("/api/v1/crm/organizations", **headers).json()

    assert detail["credit"]["overdue"] == {"amount": "1200.00", "currency": "USD"}
    assert detail["credit"]["available_credit"] == {"amount": "3800.00", "currency": "USD"}
    assert detail["credit"]["credit_limit"]["amount"] == "5000.00"
    assert [item["credit"] for item in listed["items"]] == [None]
