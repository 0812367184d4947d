"""Payment services: authorize once per key, settle lost answers, apply webhooks once and in order."""

import pytest

from autosales.core.errors import DomainError
from autosales.core.money import Money
from autosales.payments.errors import PaymentUnavailable
from autosales.payments.models import Payment, PaymentEvent, PaymentStatus, TestGatewayCharge
from autosales.payments.providers.test_gateway import webhook_headers, webhook_payload
from autosales.payments.services import payment_authorize, payment_settle, payment_void, webhook_apply
from autosales.payments.transitions import payment_transition

pytestmark = pytest.mark.django_db

TEN = Money("10.00", "USD")


def authorize(token="tok_approve", key="k"):
    return payment_authorize(amount=TEN, token=token, idempotency_key=key, provider="test")


def test_authorize_twice_with_one_key_is_one_payment_and_one_charge():
    assert authorize().pk == authorize().pk
    assert Payment.objects.get().status == PaymentStatus.AUTHORIZED
    assert TestGatewayCharge.objects.count() == 1


def test_no_card_number_is_kept_only_the_token():
    authorize()
    payment = Payment.objects.get()
    assert payment.token == "tok_approve"
    assert {f.name for f in Payment._meta.fields}.isdisjoint({"card_number", "cvv", "pan"})


def test_lost_answer_leaves_the_payment_pending_and_settle_finds_the_authorization():
    with pytest.raises(PaymentUnavailable):
        authorize(token="tok_network_error")
    payment = Payment.objects.get()
    assert payment.status == PaymentStatus.PENDING
    assert payment_settle(payment=payment).status == PaymentStatus.AUTHORIZED
    assert payment_void(payment=payment).status == PaymentStatus.VOIDED
    assert TestGatewayCharge.objects.get().status == "voided"


def test_illegal_payment_transition_raises():
    payment = authorize()
    payment_void(payment=payment)
    with pytest.raises(DomainError) as raised:
        payment_transition(payment=payment, to=PaymentStatus.CAPTURED)
    assert raised.value.code == "payment_illegal_transition"


def deliver(event_id, kind, reference, amount=None):
    body = webhook_payload(event_id=event_id, kind=kind, reference=reference, amount=amount)
    return webhook_apply(provider="test", payload=body, headers=webhook_headers(body))


def test_webhook_delivered_twice_changes_state_once():
    payment = authorize()
    first = deliver("evt_1", "charge.captured", payment.provider_reference)
    second = deliver("evt_1", "charge.captured", payment.provider_reference)
    assert first.pk == second.pk and first.outcome == "applied"
    assert PaymentEvent.objects.count() == 1
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.CAPTURED


def test_webhooks_out_of_order_never_move_a_payment_back():
    payment = authorize()
    assert deliver("evt_2", "charge.refunded", payment.provider_reference, TEN).outcome == "ignored"  # not captured yet
    assert deliver("evt_3", "charge.captured", payment.provider_reference).outcome == "applied"
    assert deliver("evt_4", "charge.authorized", payment.provider_reference).outcome == "ignored"  # late
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.CAPTURED


def test_webhook_for_an_unknown_payment_is_recorded_as_such():
    assert deliver("evt_5", "charge.captured", "tgw_nothing").outcome == "unknown_payment"


@pytest.mark.parametrize("headers", [{}, {"X-Test-Gateway-Signature": "t=1,v1=00"}])
def test_webhook_with_a_bad_signature_is_refused_and_recorded_nowhere(headers):
    body = webhook_payload(event_id="evt_6", kind="charge.captured", reference="x")
    with pytest.raises(DomainError) as raised:
        webhook_apply(provider="test", payload=body, headers=headers)
    assert raised.value.code == "webhook_signature_invalid"
    assert not PaymentEvent.objects.exists()
