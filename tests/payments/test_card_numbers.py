"""A card number typed where a gateway token is expected is refused before anything is written, and
gateway error texts that echo one are redacted before they are stored."""

import json

import pytest

from autosales.checkout.models import CheckoutAttempt
from autosales.core.errors import DomainError
from autosales.core.money import Money
from autosales.customers.tokens import token_create
from autosales.orders.models import Order
from autosales.payments.card_numbers import card_number_refuse, card_numbers_redact, contains_card_number
from autosales.payments.errors import PaymentError
from autosales.payments.models import Payment, TestGatewayCharge
from autosales.payments.providers.base import FailureKind, ProviderError
from autosales.payments.providers.test_gateway import TestGateway
from autosales.payments.services import payment_authorize
from autosales.recurring.models import StandingOrder
from tests.factories import make_checkout, place_test_order, standing_order_form

CARD_NUMBERS = [
    "4242424242424242",
    "4242 4242 4242 4242",
    "4242-4242-4242-4242",
    "378282246310005",  # American Express, 15 digits
    "6011 1111 1111 1117",
    "4000002760003184",
]
NOT_CARD_NUMBERS = [
    "pm_card_visa",
    "tok_approve",
    "pm_1NXwq2LkdIwHu7ix2Xh3Yb3n",
    "4242424242424241",  # fails the Luhn check
    "424242424242",  # 12 digits
    "PO 2027-01-31",
    "",
]


@pytest.mark.parametrize("text", CARD_NUMBERS)
def test_card_numbers_with_or_without_spaces_and_dashes_are_spotted(text):
    assert contains_card_number(text)
    assert contains_card_number(f"token '{text}' is not valid")


@pytest.mark.parametrize("text", NOT_CARD_NUMBERS)
def test_gateway_tokens_and_other_digits_are_not_card_numbers(text):
    assert not contains_card_number(text)
    assert card_numbers_redact(text) == text


def test_redaction_removes_every_card_number_and_keeps_the_rest():
    text = "No such PaymentMethod: '4242 4242 4242 4242'; also 4000002760003184 (order 12345)"
    redacted = card_numbers_redact(text)
    assert "4242" not in redacted and "3184" not in redacted
    assert redacted.startswith("No such PaymentMethod: '[card number removed]'") and "(order 12345)" in redacted


def test_the_refusal_names_the_field():
    with pytest.raises(DomainError) as raised:
        card_number_refuse(value="4242 4242 4242 4242", field="payment.token")
    assert (raised.value.code, raised.value.field) == (PaymentError.CARD_NUMBER_NOT_ALLOWED, "payment.token")
    assert "card number" in raised.value.message


def test_a_provider_error_never_keeps_a_card_number_in_its_detail():
    error = ProviderError(FailureKind.INVALID, "unknown test token '4242424242424242'")
    assert "4242424242424242" not in error.detail and "4242424242424242" not in str(error)


@pytest.mark.django_db
def test_the_payment_service_refuses_a_card_number_before_writing_or_calling_anything():
    with pytest.raises(DomainError) as raised:
        payment_authorize(
            amount=Money("10.00", "USD"), token="4242 4242 4242 4242", idempotency_key="k", provider="test"
        )
    assert raised.value.field == "payment.token"
    assert not Payment.objects.exists() and not TestGatewayCharge.objects.exists()


@pytest.mark.django_db
def test_a_gateway_error_that_echoes_what_it_was_sent_is_stored_redacted(monkeypatch):
    # A stand-in for a gateway whose error message repeats the card number it was sent (as some do): the
    # number reached it some other way than our token field, and must not land in our records.
    def echoing_authorize(self, **kwargs):
        raise ProviderError(FailureKind.DECLINED, "card 4000 0027 6000 3184 declined")

    monkeypatch.setattr(TestGateway, "authorize", echoing_authorize)
    with pytest.raises(DomainError):
        payment_authorize(amount=Money("10.00", "USD"), token="tok_approve", idempotency_key="k", provider="test")
    payment = Payment.objects.get()
    assert "3184" not in payment.last_error and "[card number removed]" in payment.last_error


@pytest.mark.django_db
def test_place_order_refuses_a_card_number_and_writes_nothing():
    checkout = make_checkout()
    with pytest.raises(DomainError) as raised:
        place_test_order(checkout, token="4242-4242-4242-4242")
    assert (raised.value.code, raised.value.field) == (PaymentError.CARD_NUMBER_NOT_ALLOWED, "payment.token")
    assert not Order.objects.exists() and not CheckoutAttempt.objects.exists() and not Payment.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize("number", ["4242424242424242", "4242 4242 4242 4242"])
def test_the_api_checkout_answers_400_naming_payment_token_and_stores_nothing(client, number):
    checkout = make_checkout()
    body = {
        "lines": [{"sku": checkout.variant.sku, "quantity": 1}],
        "shipping_address": {"id": checkout.address.public_id},
        "shipping_method": checkout.shipping_method.code,
        "payment": {"kind": "card", "token": number},
    }
    response = client.post(
        "/api/v1/checkout",
        data=json.dumps(body),
        content_type="application/json",
        HTTP_IDEMPOTENCY_KEY="k-1",
        HTTP_AUTHORIZATION=f"Bearer {token_create(user=checkout.user)}",
    )
    assert response.status_code == 400, response.content
    error = response.json()["errors"][0]
    assert (error["field"], error["code"]) == ("payment.token", PaymentError.CARD_NUMBER_NOT_ALLOWED)
    assert number not in response.content.decode()
    assert not Payment.objects.exists() and not CheckoutAttempt.objects.exists() and not Order.objects.exists()


@pytest.mark.django_db
def test_the_checkout_page_refuses_a_card_number_next_to_the_field_and_keeps_it_nowhere(client):
    from django.contrib.sessions.models import Session

    checkout = make_checkout()
    client.force_login(checkout.user)
    client.post("/cart/add/", {"sku": checkout.variant.sku, "quantity": "1"})
    client.post("/checkout/address/", {"address": checkout.address.public_id})
    client.post("/checkout/shipping/", {"shipping_method": checkout.shipping_method.code})
    response = client.post("/checkout/payment/", {"kind": "card", "payment_token": "4242 4242 4242 4242"})
    assert response.status_code == 400
    html = response.content.decode()
    assert "looks like a card number" in html and "4242 4242 4242 4242" not in html
    sessions = " ".join(str(session.get_decoded()) for session in Session.objects.all())
    assert "4242" not in sessions
    assert not Payment.objects.exists() and not CheckoutAttempt.objects.exists()


@pytest.mark.django_db
def test_the_standing_order_api_refuses_a_card_number_naming_payment_token(client):
    checkout = make_checkout(stock=20_000)
    client.force_login(checkout.user)
    body = {
        "lines": [{"sku": checkout.variant.sku, "quantity": 10}],
        "schedule": {"every": 1, "unit": "month", "day_of_month": 1, "start_date": "2099-01-01"},
        "shipping_address": checkout.address.public_id,
        "shipping_method": checkout.shipping_method.code,
        "payment": {"kind": "card", "token": "4242424242424242"},
    }
    response = client.post("/api/v1/standing-orders", json.dumps(body), content_type="application/json")
    assert response.status_code == 400, response.content
    error = response.json()["errors"][0]
    assert (error["field"], error["code"]) == ("payment.token", PaymentError.CARD_NUMBER_NOT_ALLOWED)
    assert "4242424242424242" not in response.content.decode()
    assert not StandingOrder.objects.exists()


@pytest.mark.django_db
def test_the_standing_order_page_refuses_a_card_number_next_to_the_field(client):
    checkout = make_checkout(stock=20_000)
    client.force_login(checkout.user)
    form = standing_order_form(
        checkout, start_date="2099-01-31", payment_kind="card", payment_token="4242 4242 4242 4242"
    )
    response = client.post("/standing-orders/new/", form)
    assert response.status_code == 400
    html = response.content.decode()
    assert "looks like a card number" in html and "4242 4242 4242 4242" not in html
    assert not StandingOrder.objects.exists()


@pytest.mark.django_db
def test_card_numbers_stored_before_are_cleared_by_the_migrations():
    import datetime as dt
    import importlib

    from django.apps import apps

    from tests.recurring.conftest import make_standing_order

    payments_migration = importlib.import_module("autosales.payments.migrations.0004_redact_card_numbers_stored_before")
    recurring_migration = importlib.import_module(
        "autosales.recurring.migrations.0005_clear_card_numbers_in_payment_tokens"
    )
    # given rows written before card numbers were refused
    kept = Payment.objects.create(
        provider="test", amount="10.00", currency="USD", idempotency_key="a", token="tok_approve", last_error="x 12"
    )
    leaked = Payment.objects.create(
        provider="test",
        amount="10.00",
        currency="USD",
        idempotency_key="b",
        token="4242 4242 4242 4242",
        last_error="invalid: unknown test token '4242 4242 4242 4242'",
    )
    standing_order = make_standing_order(make_checkout(stock=5000), token="tok_approve", start=dt.date(2099, 1, 31))
    StandingOrder.objects.filter(pk=standing_order.pk).update(payment_token="4242424242424242")

    # when the migrations run
    payments_migration.redact_stored_card_numbers(apps, None)
    recurring_migration.clear_card_numbers(apps, None)

    # then no card number is left, and the rest is untouched
    leaked.refresh_from_db()
    kept.refresh_from_db()
    assert leaked.token == "" and "4242" not in leaked.last_error
    assert (kept.token, kept.last_error) == ("tok_approve", "x 12")
    assert StandingOrder.objects.get().payment_token == ""
