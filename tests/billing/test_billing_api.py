"""/api/v1/billing: a customer's invoices, credit notes, payments and balance; staff post payments once per
Idempotency-Key; lists in a fixed number of queries."""

import datetime as dt
import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from autosales.billing.credit_notes import CreditLine, credit_note_issue
from autosales.billing.issuing import invoice_issue_for_order
from autosales.billing.models import PaymentReceived
from autosales.core import clock
from autosales.customers.staff_roles import ACCOUNTS, FULFILLMENT
from autosales.customers.tokens import token_create
from tests.factories import make_account_order, make_member, make_organization, make_staff

pytestmark = pytest.mark.django_db

URL = "/api/v1/billing"
AUGUST = dt.datetime(2027, 8, 16, 12, tzinfo=dt.UTC)


def _customer(invoices=1):
    organization = make_organization(has_account_terms=True, credit_limit=1000)
    buyer = make_member(organization=organization)
    with clock.frozen_at(AUGUST):
        issued = [invoice_issue_for_order(order=make_account_order(organization=organization)) for _ in range(invoices)]
    return organization, buyer, issued


def test_a_buyer_reads_its_invoices_credit_notes_and_balance(client):
    _organization, buyer, [invoice] = _customer()
    with clock.frozen_at(AUGUST):
        note = credit_note_issue(invoice=invoice, lines=[CreditLine(description="Discount", amount="3")], reason="Late")
    _customer()  # another organization's
    client.force_login(buyer)
    with clock.frozen_at(AUGUST):
        listing = client.get(f"{URL}/invoices").json()
        credit_notes = client.get(f"{URL}/credit-notes").json()
        detail = client.get(f"{URL}/invoices/{invoice.public_id}").json()
        balance = client.get(f"{URL}/balance").json()
    assert [i["number"] for i in listing["items"]] == [note.number, invoice.number]
    assert [i["number"] for i in credit_notes["items"]] == [note.number]
    assert detail["balance"] == {"amount": "12.00", "currency": "USD"} and detail["terms"] == "Net 30"
    assert detail["lines"][0]["quantity"] == 1 and not detail["overdue"]
    assert balance["balance"]["amount"] == "12.00" and balance["available_credit"]["amount"] == "988.00"
    pdf = client.get(f"{URL}/invoices/{invoice.public_id}/pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")


def test_another_organizations_invoice_is_not_found(client):
    _organization, _buyer, [invoice] = _customer()
    _other, stranger, _ = _customer()
    client.force_login(stranger)
    assert client.get(f"{URL}/invoices/{invoice.public_id}").status_code == 404
    assert client.get(f"{URL}/invoices/{invoice.public_id}/pdf").status_code == 404


def test_an_unknown_state_is_a_400_naming_it(client):
    _organization, buyer, _ = _customer()
    client.force_login(buyer)
    response = client.get(f"{URL}/invoices?state=lost")
    assert response.status_code == 400 and response.json()["errors"][0]["field"] == "state"


def test_the_invoice_list_takes_the_same_queries_for_3_or_30_invoices(client):
    counts = []
    for n in (3, 30):
        _organization, buyer, _ = _customer(invoices=n)
        client.force_login(buyer)
        with CaptureQueriesContext(connection) as captured:
            assert client.get(f"{URL}/invoices?page_size=50").status_code == 200
        counts.append(len(captured))
    assert counts[0] == counts[1]


def _post(client, body, key="pay-1", token=None):
    headers = {"HTTP_IDEMPOTENCY_KEY": key}
    if token:
        headers["HTTP_AUTHORIZATION"] = f"Bearer {token}"
    return client.post(f"{URL}/payments", json.dumps(body), content_type="application/json", **headers)


def test_accounts_staff_post_a_payment_once_per_idempotency_key(client):
    organization, _buyer, [first, second] = _customer(invoices=2)
    token = token_create(user=make_staff(group=ACCOUNTS))
    body = {
        "organization": organization.public_id,
        "method": "bank_transfer",
        "amount": "15.00",
        "received_on": "2027-08-20",
        "reference": "TRF-9",
        "allocations": [{"invoice": second.number, "amount": "12.00"}, {"invoice": first.number, "amount": "3"}],
    }
    with clock.frozen_at(AUGUST + dt.timedelta(days=5)):
        created = _post(client, body, token=token)
        again = _post(client, body, token=token)
        other = _post(client, {**body, "amount": "16.00"}, token=token)
        balance = client.get(
            f"{URL}/organizations/{organization.public_id}/balance", HTTP_AUTHORIZATION=f"Bearer {token}"
        )
    assert created.status_code == 201, created.content
    assert again.status_code == 201 and again.json()["public_id"] == created.json()["public_id"]
    assert other.status_code == 409
    assert PaymentReceived.objects.count() == 1
    assert balance.json()["balance"]["amount"] == "15.00"  # 2 x 15.00 - 15.00


@pytest.mark.parametrize(
    ("change", "status", "field"),
    [
        ({"amount": "0"}, 400, "amount"),
        ({"method": "card"}, 400, "method"),
        ({"received_on": "2099-01-01"}, 400, "received_on"),
        ({"organization": "nope"}, 404, "organization"),
        ({"allocations": [{"invoice": "INV-1-1", "amount": "1"}]}, 400, "allocations[0].invoice"),
    ],
)
def test_a_bad_payment_is_refused_naming_the_field(client, change, status, field):
    organization, _buyer, _ = _customer()
    token = token_create(user=make_staff(group=ACCOUNTS))
    body = {"organization": organization.public_id, "method": "cheque", "amount": "5", "received_on": "2027-08-20"}
    with clock.frozen_at(AUGUST + dt.timedelta(days=5)):
        response = _post(client, {**body, **change}, token=token)
    assert response.status_code == status, response.content
    assert response.json()["errors"][0]["field"] == field
    assert not PaymentReceived.objects.exists()


def test_customers_and_other_staff_cannot_post_payments(client):
    organization, buyer, _ = _customer()
    body = {"organization": organization.public_id, "method": "cheque", "amount": "5", "received_on": "2027-08-01"}
    assert _post(client, body, token=token_create(user=buyer)).status_code == 403
    assert _post(client, body, token=token_create(user=make_staff(group=FULFILLMENT))).status_code == 403
    assert not PaymentReceived.objects.exists()
