"""The Stripe provider, through the real `stripe` SDK, against localstripe on a loopback port."""

import logging
from decimal import Decimal

import pytest
import stripe

from autosales.core.errors import DomainError
from autosales.core.money import Money
from autosales.payments.errors import PaymentError, PaymentUnavailable
from autosales.payments.models import Payment, PaymentStatus
from autosales.payments.providers import provider_for
from autosales.payments.providers.base import CUSTOMER_MESSAGES, FailureKind, ProviderError
from autosales.payments.providers.stripe import (
    AuthenticationRequired,
    StripeProvider,
    client_config,
    from_minor_units,
    minor_units,
)
from autosales.payments.services import payment_authorize, payment_capture, payment_refund, payment_settle, payment_void
from tests.payments.stripe_fixtures import (  # noqa: F401  (fixtures)
    PUBLISHABLE_KEY,
    SECRET_KEY,
    localstripe_fixture,
    localstripe_server_fixture,
)

# localstripe's test PaymentMethods: pm_card_visa is approved; pm_card_chargeCustomerFail is declined on
# charge (card 4000000000000341); card 4000002500003155 asks for 3-D Secure.
CARD_OK = "pm_card_visa"
CARD_DECLINED = "pm_card_chargeCustomerFail"
CARD_3DS_NUMBER = "4000002500003155"


def usd(amount: str) -> Money:
    return Money(Decimal(amount), "USD")


def sdk():
    from django.conf import settings

    return stripe.StripeClient(SECRET_KEY, base_addresses={"api": settings.STRIPE_API_BASE})


def test_authorize_holds_the_money_and_capture_takes_it(localstripe):
    # given an approved card and the default manual capture
    provider = StripeProvider()

    # when the order is authorized
    held = provider.authorize(amount=usd("12.34"), token=CARD_OK, idempotency_key="order-1", metadata={"order": "A1"})

    # then the money is held, not taken
    assert held.status == "authorized"
    assert held.reference.startswith("pi_")
    assert held.amount == usd("12.34")
    intent = sdk().v1.payment_intents.retrieve(held.reference)
    assert intent["status"] == "requires_capture"
    assert intent["amount"] == 1234
    assert intent["metadata"]["order"] == "A1"
    [charge] = localstripe.charges()
    assert charge["captured"] is False

    # when it ships and is captured
    taken = provider.capture(reference=held.reference, amount=usd("12.34"), idempotency_key="order-1:capture")

    # then the money is taken
    assert taken.status == "captured"
    assert taken.amount == usd("12.34")
    assert sdk().v1.payment_intents.retrieve(held.reference)["status"] == "succeeded"
    [charge] = localstripe.charges()
    assert charge["captured"] is True


def test_capture_sent_again_after_it_succeeded_reports_captured(localstripe):
    # given a captured payment
    provider = StripeProvider()
    held = provider.authorize(amount=usd("5.00"), token=CARD_OK, idempotency_key="order-2", metadata={})
    provider.capture(reference=held.reference, amount=usd("5.00"), idempotency_key="order-2:capture")

    # when the capture is sent again with another key (say, by a job retrying after a crash)
    again = provider.capture(reference=held.reference, amount=usd("5.00"), idempotency_key="order-2:capture:2")

    # then it reports the capture that happened, and nothing more is taken
    assert again.status == "captured"
    assert [c["amount"] for c in localstripe.charges()] == [500]


def test_declined_card_raises_declined_with_a_customer_message(localstripe):
    # when a card that the bank declines is used
    with pytest.raises(ProviderError) as caught:
        StripeProvider().authorize(amount=usd("9.99"), token=CARD_DECLINED, idempotency_key="order-4", metadata={})

    # then the failure is a decline, with a message the customer can act on, and nothing is held
    assert caught.value.kind == FailureKind.DECLINED
    assert caught.value.message == CUSTOMER_MESSAGES[FailureKind.DECLINED]
    assert all(charge["status"] == "failed" for charge in localstripe.charges())


def test_declined_card_through_the_service_fails_the_payment(localstripe, db):
    # when checkout authorizes with a declined card
    with pytest.raises(DomainError) as caught:
        payment_authorize(amount=usd("9.99"), token=CARD_DECLINED, idempotency_key="order-5", provider="stripe")

    # then the customer is told why, on the payment field, and the payment is recorded as failed
    assert caught.value.code == PaymentError.DECLINED
    assert caught.value.field == "payment"
    payment = Payment.objects.get(idempotency_key="order-5")
    assert payment.status == PaymentStatus.FAILED
    assert payment.provider == "stripe"


def test_insufficient_funds_decline_is_told_apart():
    # localstripe has no insufficient-funds card; this is the 402 body Stripe documents for one
    # (https://docs.stripe.com/declines/codes), turned into the SDK's own error as the SDK does it.
    from autosales.payments.providers.stripe import _failure

    body = {
        "error": {
            "type": "card_error",
            "code": "card_declined",
            "decline_code": "insufficient_funds",
            "message": "Your card has insufficient funds.",
            "payment_intent": {"id": "pi_123", "object": "payment_intent"},
        }
    }
    error = stripe.CardError(body["error"]["message"], None, "card_declined", http_status=402, json_body=body)

    failure = _failure(error)

    assert failure.kind == FailureKind.INSUFFICIENT_FUNDS
    assert failure.reference == "pi_123"
    assert failure.message == CUSTOMER_MESSAGES[FailureKind.INSUFFICIENT_FUNDS]


def test_card_that_needs_3d_secure_gives_the_client_secret(localstripe):
    # given a card whose bank asks for 3-D Secure
    token = localstripe.payment_method(CARD_3DS_NUMBER)

    # when it is authorized
    with pytest.raises(AuthenticationRequired) as caught:
        StripeProvider().authorize(amount=usd("30.00"), token=token, idempotency_key="order-6", metadata={})

    # then nothing is held, and the page gets what Stripe.js needs to let the customer confirm
    assert caught.value.kind == FailureKind.DECLINED
    assert caught.value.client_secret.startswith(caught.value.reference + "_secret_")
    assert "3-D Secure" in caught.value.message
    assert "another card" in caught.value.message
    assert localstripe.charges() == []


def test_void_releases_the_hold_and_is_safe_to_repeat(localstripe):
    # given an authorized payment
    provider = StripeProvider()
    held = provider.authorize(amount=usd("15.00"), token=CARD_OK, idempotency_key="order-7", metadata={})

    # when the order is cancelled before shipping, twice (a retry)
    first = provider.void(reference=held.reference, idempotency_key="order-7:void")
    second = provider.void(reference=held.reference, idempotency_key="order-7:void:again")

    # then the intent is cancelled once and both calls say so
    assert first.status == second.status == "voided"
    assert sdk().v1.payment_intents.retrieve(held.reference)["status"] == "canceled"


def test_void_of_a_captured_payment_is_refused(localstripe):
    # given a captured payment
    provider = StripeProvider()
    held = provider.authorize(amount=usd("15.00"), token=CARD_OK, idempotency_key="order-8", metadata={})
    provider.capture(reference=held.reference, amount=usd("15.00"), idempotency_key="order-8:capture")

    # when someone tries to void it, then it is refused (a refund is what gives captured money back)
    with pytest.raises(ProviderError) as caught:
        provider.void(reference=held.reference, idempotency_key="order-8:void")
    assert caught.value.kind == FailureKind.INVALID


def captured(provider: StripeProvider, amount: Money, key: str):
    held = provider.authorize(amount=amount, token=CARD_OK, idempotency_key=key, metadata={})
    return provider.capture(reference=held.reference, amount=amount, idempotency_key=f"{key}:capture")


def test_refund_gives_back_part_then_the_rest(localstripe):
    # given a captured payment of $40
    provider = StripeProvider()
    paid = captured(provider, usd("40.00"), "order-9")

    # when $15 is refunded, then the remaining $25
    part = provider.refund(reference=paid.reference, amount=usd("15.00"), idempotency_key="order-9:refund:1")
    rest = provider.refund(reference=paid.reference, amount=usd("25.00"), idempotency_key="order-9:refund:2")

    # then Stripe holds two refunds that add up to the charge
    assert part.status == rest.status == "refunded"
    assert part.amount == usd("15.00")
    assert sorted(r["amount"] for r in localstripe.refunds()) == [1500, 2500]


def test_refund_sent_twice_with_one_key_refunds_once(localstripe):
    # given a captured payment
    provider = StripeProvider()
    paid = captured(provider, usd("40.00"), "order-10")

    # when the same refund is sent twice (a retry)
    provider.refund(reference=paid.reference, amount=usd("10.00"), idempotency_key="order-10:refund:1")
    provider.refund(reference=paid.reference, amount=usd("10.00"), idempotency_key="order-10:refund:1")

    # then one refund exists
    assert [r["amount"] for r in localstripe.refunds()] == [1000]


def test_same_idempotency_key_returns_the_same_intent_and_charges_once(localstripe):
    # when the same authorization is sent twice with one key
    provider = StripeProvider()
    first = provider.authorize(amount=usd("8.00"), token=CARD_OK, idempotency_key="order-11", metadata={})
    second = provider.authorize(amount=usd("8.00"), token=CARD_OK, idempotency_key="order-11", metadata={})

    # then both answers name one intent and there is one charge
    assert first.reference == second.reference
    assert len(localstripe.charges()) == 1


def test_same_key_with_another_amount_is_refused(localstripe):
    # given an authorization made with a key
    provider = StripeProvider()
    provider.authorize(amount=usd("8.00"), token=CARD_OK, idempotency_key="order-12", metadata={})

    # when the key is reused for another amount, then Stripe refuses and nothing more is charged
    with pytest.raises(ProviderError) as caught:
        provider.authorize(amount=usd("9.00"), token=CARD_OK, idempotency_key="order-12", metadata={})
    assert caught.value.kind == FailureKind.INVALID
    assert len(localstripe.charges()) == 1


def test_lost_answer_is_retried_by_the_sdk_with_the_same_key(localstripe):
    # given the network loses the answer to the first request (Stripe did the work)
    localstripe.drop_responses(1)

    # when the payment is authorized
    result = StripeProvider().authorize(amount=usd("11.00"), token=CARD_OK, idempotency_key="order-13", metadata={})

    # then the SDK's retry carries the same key: one intent, one charge
    assert result.status == "authorized"
    [charge] = localstripe.charges()
    assert charge["payment_intent"] == result.reference


def test_timeout_then_retry_later_never_charges_twice(localstripe, settings):
    # given the SDK does not retry and the answer is lost
    settings.STRIPE_MAX_NETWORK_RETRIES = 0
    localstripe.drop_responses(1)
    provider = StripeProvider()

    # when the authorization times out
    with pytest.raises(ProviderError) as caught:
        provider.authorize(amount=usd("11.00"), token=CARD_OK, idempotency_key="order-14", metadata={})

    # then it is a network failure with a message that promises no double charge
    assert caught.value.kind == FailureKind.NETWORK
    assert "will not be charged twice" in caught.value.message

    # when it is sent again later with the same key
    result = provider.authorize(amount=usd("11.00"), token=CARD_OK, idempotency_key="order-14", metadata={})

    # then the first (lost) authorization is the answer, and there is one charge
    [charge] = localstripe.charges()
    assert charge["payment_intent"] == result.reference
    assert result.status == "authorized"


def test_timeout_through_the_service_leaves_the_payment_pending_until_settled(localstripe, settings, db):
    # given the answer to the authorization is lost
    settings.STRIPE_MAX_NETWORK_RETRIES = 0
    localstripe.drop_responses(1)

    # when checkout authorizes
    with pytest.raises(PaymentUnavailable):
        payment_authorize(amount=usd("25.00"), token=CARD_OK, idempotency_key="order-15", provider="stripe")

    # then the payment is pending (outcome unknown) ...
    payment = Payment.objects.get(idempotency_key="order-15")
    assert payment.status == PaymentStatus.PENDING

    # ... and settling it learns the authorization without charging again
    settled = payment_settle(payment=payment)
    assert settled.status == PaymentStatus.AUTHORIZED
    [charge] = localstripe.charges()
    assert charge["payment_intent"] == settled.provider_reference


def test_payment_lifecycle_through_the_services(localstripe, db):
    # given a payment authorized through the service
    payment = payment_authorize(amount=usd("60.00"), token=CARD_OK, idempotency_key="order-16", provider="stripe")
    assert payment.status == PaymentStatus.AUTHORIZED

    # when it is captured and then refunded in two parts
    payment_capture(payment=payment)
    payment_refund(payment=payment, amount=usd("20.00"))
    payment_refund(payment=payment)

    # then Stripe and our records agree
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.REFUNDED
    assert payment.amount_refunded == Decimal("60.00")
    assert sdk().v1.payment_intents.retrieve(payment.provider_reference)["status"] == "succeeded"
    assert sorted(r["amount"] for r in localstripe.refunds()) == [2000, 4000]


def test_void_through_the_service(localstripe, db):
    # given an authorized payment
    payment = payment_authorize(amount=usd("7.00"), token=CARD_OK, idempotency_key="order-17", provider="stripe")

    # when it is voided
    payment_void(payment=payment)

    # then it is voided here and cancelled at Stripe
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.VOIDED
    assert sdk().v1.payment_intents.retrieve(payment.provider_reference)["status"] == "canceled"


@pytest.mark.parametrize("token", ["", "4242424242424242", "tok_approve"])
def test_a_token_that_is_not_a_payment_method_is_refused_without_calling_stripe(localstripe, token):
    with pytest.raises(ProviderError) as caught:
        StripeProvider().authorize(amount=usd("1.00"), token=token, idempotency_key=f"bad-{token}", metadata={})
    assert caught.value.kind == FailureKind.INVALID
    assert localstripe.charges() == []


def test_unknown_payment_method_is_invalid(localstripe):
    with pytest.raises(ProviderError) as caught:
        StripeProvider().authorize(amount=usd("1.00"), token="pm_doesnotexist", idempotency_key="k", metadata={})
    assert caught.value.kind == FailureKind.INVALID


def test_wrong_secret_key_is_a_temporary_failure_not_a_decline(localstripe, settings):
    # given a misconfigured key (not a secret key at all)
    settings.STRIPE_SECRET_KEY = "pk_test_not_a_secret_key"

    # when a payment is authorized, then the customer is told to try again, not that the card is bad
    with pytest.raises(ProviderError) as caught:
        StripeProvider().authorize(amount=usd("1.00"), token=CARD_OK, idempotency_key="k2", metadata={})
    assert caught.value.kind == FailureKind.NETWORK


def test_provider_for_stripe_is_the_stripe_provider(localstripe):
    assert isinstance(provider_for("stripe"), StripeProvider)
    assert provider_for().name == "stripe"


def test_tokens_and_card_numbers_never_reach_the_logs(localstripe, caplog):
    # given everything logged at DEBUG, the SDK included
    caplog.set_level(logging.DEBUG)
    token = localstripe.payment_method("4000000000000341")
    provider = StripeProvider()

    # when payments succeed and fail
    provider.authorize(amount=usd("3.00"), token=CARD_OK, idempotency_key="log-1", metadata={})
    with pytest.raises(ProviderError):
        provider.authorize(amount=usd("3.00"), token=token, idempotency_key="log-2", metadata={})

    # then no log line carries the token or a card number
    text = "\n".join(record.getMessage() for record in caplog.records)
    assert token not in text
    assert CARD_OK not in text
    assert "4000000000000341" not in text


def test_client_config_gives_the_page_the_publishable_key_only(localstripe):
    config = client_config()
    assert config["publishable_key"] == PUBLISHABLE_KEY
    assert config["token_field"] == "payment_token"
    assert SECRET_KEY not in str(config)


@pytest.mark.parametrize(
    ("money", "minor"),
    [
        (Money(Decimal("12.34"), "USD"), 1234),
        (Money(Decimal("0.005"), "USD"), 1),
        (Money(Decimal("1000"), "JPY"), 1000),
        (Money(Decimal("1.5"), "EUR"), 150),
    ],
)
def test_amounts_go_to_stripe_in_minor_units_and_come_back(money, minor):
    assert minor_units(money) == minor
    assert from_minor_units(minor, money.currency.lower()) == money.rounded()
