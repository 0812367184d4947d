"""Staff charge an on-account customer a fee (an invoice of one line no order has): numbered, due on the
customer's terms, in its ledger, emailed, once per submitted form; bad input is refused naming the field."""

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse

from autosales.billing.models import Invoice
from autosales.core import clock
from autosales.customers.models import Organization
from autosales.customers.staff_roles import ACCOUNTS, SALESPERSON
from autosales.notifications.models import OutboxEmail
from tests.factories import make_organization, make_staff

pytestmark = pytest.mark.django_db


def _charge(client, organization, **data):
    data = {"description": "Restocking fee, RMA 1042", "amount": "25.50", "key": "form-key-1", **data}
    return client.post(reverse("backoffice:billing_customer_charge", args=[organization.public_id]), data)


def test_accounts_staff_charge_a_fee_once_per_form(client):
    organization = make_organization(
        name="Fee Co", has_account_terms=True, credit_limit=1000, billing_email="ap@fee.example"
    )
    client.force_login(make_staff(group=ACCOUNTS))
    page = client.get(reverse("backoffice:billing_customer", args=[organization.public_id])).content.decode()
    assert "Charge a fee" in page and 'name="key"' in page

    with clock.frozen_at(dt.datetime(2027, 3, 10, 12, tzinfo=dt.UTC)):
        response = _charge(client, organization)
        again = _charge(client, organization)  # the same form sent twice
    invoice = Invoice.objects.get()
    assert response.status_code == again.status_code == 302
    assert response["Location"] == again["Location"] == reverse("backoffice:invoice_detail", args=[invoice.public_id])
    assert (invoice.source, invoice.total, invoice.tax, invoice.status) == ("manual", Decimal("25.50"), 0, "open")
    assert [(line.description, line.quantity, line.line_total) for line in invoice.lines.all()] == [
        ("Restocking fee, RMA 1042", 1, Decimal("25.50"))
    ]
    assert (invoice.issue_date, invoice.due_date) == (dt.date(2027, 3, 10), dt.date(2027, 4, 9))  # net 30
    assert Organization.objects.get(pk=organization.pk).account_balance == Decimal("25.50")
    assert OutboxEmail.objects.get(template="billing/document").to == ["ap@fee.example"]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"description": "  "}, "description"),
        ({"amount": "abc"}, "amount: 'abc' is not an amount."),
        ({"amount": "-5"}, "amount: The amount must be more than zero."),
        ({"amount": "1.234"}, "amount: USD amounts have at most"),
        ({"key": ""}, "key"),
    ],
)
def test_bad_input_is_refused_naming_the_field_and_changes_nothing(client, data, message):
    organization = make_organization(has_account_terms=True, credit_limit=1000)
    client.force_login(make_staff(group=ACCOUNTS))
    response = _charge(client, organization, **data)
    assert response.status_code == 302
    shown = [str(m) for m in response.wsgi_request._messages]
    assert len(shown) == 1 and message in shown[0]
    assert not Invoice.objects.exists()


def test_a_customer_without_account_terms_cannot_be_charged(client):
    organization = make_organization(has_account_terms=False)
    client.force_login(make_staff(group=ACCOUNTS))
    response = _charge(client, organization)
    assert "organization: Only customers with account terms" in str(next(iter(response.wsgi_request._messages)))
    assert not Invoice.objects.exists()


def test_a_salesperson_may_look_but_not_charge(client):
    organization = make_organization(has_account_terms=True, credit_limit=1000)
    client.force_login(make_staff(group=SALESPERSON))
    assert (
        "Charge a fee"
        not in client.get(reverse("backoffice:billing_customer", args=[organization.public_id])).content.decode()
    )
    assert _charge(client, organization).status_code == 403
    assert not Invoice.objects.exists()
