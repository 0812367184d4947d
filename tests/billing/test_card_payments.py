"""A buyer pays open invoices by card in the store: one charge whatever the retries, the invoices settled, a
decline records nothing, and a credit hold lifts when the overdue invoices are paid."""

import datetime as dt

import pytest

from autosales.billing.card_payments import invoices_pay_by_card
from autosales.billing.dunning import credit_holds_review
from autosales.billing.issuing import invoice_issue_for_order
from autosales.billing.models import Invoice, PaymentReceived
from autosales.core import clock
from autosales.core.errors import DomainError
from autosales.payments.models import TestGatewayCharge
from tests.factories import make_account_order, make_member, make_organization

pytestmark = pytest.mark.django_db

DAY = dt.datetime(2027, 2, 1, 12, tzinfo=dt.UTC)


def _customer(n=2, **org):
    organization = make_organization(has_account_terms=True, credit_limit=1000, **org)
    buyer = make_member(organization=organization)
    with clock.frozen_at(dt.datetime(2027, 1, 4, 12, tzinfo=dt.UTC)):
        invoices = [invoice_issue_for_order(order=make_account_order(organization=organization)) for _ in range(n)]
    return organization, buyer, invoices


def test_paying_two_invoices_by_card_charges_once_and_settles_both():
    organization, buyer, invoices = _customer()
    ids = [i.public_id for i in invoices]
    with clock.frozen_at(DAY):
        payment = invoices_pay_by_card(
            organization=organization, invoice_public_ids=ids, token="tok_approve", idempotency_key="k1", actor=buyer
        )
        again = invoices_pay_by_card(
            organization=organization, invoice_public_ids=ids, token="tok_approve", idempotency_key="k1", actor=buyer
        )
    assert again.pk == payment.pk and payment.method == "card" and payment.amount == 30
    assert TestGatewayCharge.objects.count() == 1
    assert set(Invoice.objects.values_list("status", flat=True)) == {"paid"}
    organization.refresh_from_db()
    assert organization.account_balance == 0


def test_a_declined_card_records_nothing():
    organization, buyer, invoices = _customer(1)
    with clock.frozen_at(DAY), pytest.raises(DomainError) as refused:
        invoices_pay_by_card(
            organization=organization,
            invoice_public_ids=[invoices[0].public_id],
            token="tok_decline",
            idempotency_key="k",
            actor=buyer,
        )
    assert refused.value.field == "payment"
    assert not PaymentReceived.objects.exists() and Invoice.objects.get().status == "open"


def test_another_organizations_invoice_cannot_be_paid_here():
    organization, buyer, _ = _customer(1)
    _other, _b, [theirs] = _customer(1)
    with clock.frozen_at(DAY), pytest.raises(DomainError) as refused:
        invoices_pay_by_card(
            organization=organization,
            invoice_public_ids=[theirs.public_id],
            token="tok_approve",
            idempotency_key="k",
            actor=buyer,
        )
    assert refused.value.field == "invoices" and not TestGatewayCharge.objects.exists()


def test_the_pay_page_pays_and_lifts_the_hold(client, settings):
    settings.BILLING_CREDIT_HOLD_AFTER_DAYS = 10
    organization, buyer, invoices = _customer(1)
    credit_holds_review(today=dt.date(2027, 2, 20))
    organization.refresh_from_db()
    assert organization.credit_hold
    client.force_login(buyer)
    with clock.frozen_at(dt.datetime(2027, 2, 21, 12, tzinfo=dt.UTC)):
        page = client.get("/account/invoices/pay/").content.decode()
        assert invoices[0].number in page and "credit hold" not in page
        response = client.post(
            "/account/invoices/pay/", {"invoice": [invoices[0].public_id], "payment_token": "tok_approve", "key": "abc"}
        )
    assert response.status_code == 302
    organization.refresh_from_db()
    assert not organization.credit_hold and Invoice.objects.get().status == "paid"


def test_the_statement_page_and_its_pdf(client):
    _organization, buyer, _ = _customer(1)
    client.force_login(buyer)
    with clock.frozen_at(DAY):
        page = client.get("/account/statement/")  # January, the last full month
        pdf = client.get("/account/statement/?month=2027-01&format=pdf")
        api = client.get("/api/v1/billing/statements/2027-01").json()
        bad = client.get("/api/v1/billing/statements/2027-13")
    assert "Closing balance" in page.content.decode() and "$15.00" in page.content.decode()
    assert pdf["Content-Type"] == "application/pdf"
    assert api["closing"]["amount"] == "15.00" and api["aging"]["current"]["amount"] == "15.00"
    assert bad.status_code == 400 and bad.json()["errors"][0]["field"] == "month"
