"""The built-in test gateway: documented tokens, idempotency keys, capture/void/refund rules."""

import pytest

from autosales.core.money import Money
from autosales.payments.models import TestGatewayCharge
from autosales.payments.providers.base import FailureKind, ProviderError
from autosales.payments.providers.test_gateway import TestGateway

pytestmark = pytest.mark.django_db

TEN = Money("10.00", "USD")


def test_approve_authorizes_and_the_same_key_returns_the_same_charge():
    gateway = TestGateway()
    first = gateway.authorize(amount=TEN, token="tok_approve", idempotency_key="k", metadata={})
    second = gateway.authorize(amount=TEN, token="tok_approve", idempotency_key="k", metadata={})
    assert first.reference == second.reference and first.status == "authorized"
    assert TestGatewayCharge.objects.count() == 1


@pytest.mark.parametrize(
    ("token", "kind"),
    [
        ("tok_decline", FailureKind.DECLINED),
        ("tok_insufficient_funds", FailureKind.INSUFFICIENT_FUNDS),
        ("bogus", FailureKind.INVALID),
    ],
)
def test_declines_are_classified_with_a_customer_message(token, kind):
    with pytest.raises(ProviderError) as raised:
        TestGateway().authorize(amount=TEN, token=token, idempotency_key="k", metadata={})
    assert raised.value.kind == kind and raised.value.message


def test_network_error_records_the_charge_and_a_retry_returns_it():
    gateway = TestGateway()
    with pytest.raises(ProviderError) as raised:
        gateway.authorize(amount=TEN, token="tok_network_error", idempotency_key="k", metadata={})
    assert raised.value.kind == FailureKind.NETWORK
    assert TestGatewayCharge.objects.get().status == "authorized"
    result = gateway.authorize(amount=TEN, token="tok_network_error", idempotency_key="k", metadata={})
    assert result.status == "authorized" and TestGatewayCharge.objects.count() == 1


def test_same_key_with_another_amount_is_refused():
    gateway = TestGateway()
    gateway.authorize(amount=TEN, token="tok_approve", idempotency_key="k", metadata={})
    with pytest.raises(ProviderError) as raised:
        gateway.authorize(amount=Money("11.00", "USD"), token="tok_approve", idempotency_key="k", metadata={})
    assert raised.value.kind == FailureKind.INVALID


def test_capture_void_refund_rules():
    gateway = TestGateway()
    ref = gateway.authorize(amount=TEN, token="tok_approve", idempotency_key="a", metadata={}).reference
    assert gateway.capture(reference=ref, amount=TEN, idempotency_key="c").status == "captured"
    with pytest.raises(ProviderError):
        gateway.void(reference=ref, idempotency_key="v")  # captured: refund instead
    gateway.refund(reference=ref, amount=Money("4.00", "USD"), idempotency_key="r1")
    gateway.refund(reference=ref, amount=Money("4.00", "USD"), idempotency_key="r1")  # replay: once
    charge = TestGatewayCharge.objects.get(reference=ref)
    assert charge.amount_refunded == 4 and charge.status == "captured"
    with pytest.raises(ProviderError):
        gateway.refund(reference=ref, amount=Money("7.00", "USD"), idempotency_key="r2")
    gateway.refund(reference=ref, amount=Money("6.00", "USD"), idempotency_key="r3")
    assert TestGatewayCharge.objects.get(reference=ref).status == "refunded"

    other = gateway.authorize(amount=TEN, token="tok_approve", idempotency_key="b", metadata={}).reference
    assert gateway.void(reference=other, idempotency_key="v").status == "voided"
    with pytest.raises(ProviderError):
        gateway.capture(reference=other, amount=TEN, idempotency_key="c2")
