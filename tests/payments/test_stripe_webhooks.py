"""The Stripe webhook endpoint: signature check, once-only application, out-of-order events.

Events come from localstripe (its own `payment_intent.*` events, read back from its event list or delivered
by it over HTTP); the event types localstripe does not emit (`amount_capturable_updated`, `canceled`,
`charge.refunded`) are built from localstripe's real objects in the envelope Stripe documents
(https://docs.stripe.com/api/events/object) and signed with the SDK's own signer.
"""

import json
import time
from decimal import Decimal

import pytest
import stripe
from django.urls import reverse

from autosales.core import ids
from autosales.core.money import Money
from autosales.payments.models import Payment, PaymentEvent, PaymentStatus
from autosales.payments.services import payment_authorize
from tests.payments.stripe_fixtures import (  # noqa: F401  (fixtures)
    SECRET_KEY,
    WEBHOOK_SECRET,
    localstripe_fixture,
    localstripe_server_fixture,
)

URL = "/payments/webhooks/stripe/"


def sdk():
    from django.conf import settings

    return stripe.StripeClient(SECRET_KEY, base_addresses={"api": settings.STRIPE_API_BASE})


def post_event(client, event: dict | bytes, *, secret: str = WEBHOOK_SECRET, timestamp: int | None = None):
    payload = event if isinstance(event, bytes) else json.dumps(event).encode()
    header = stripe.WebhookSignature.generate_signature_header(payload.decode(), secret, timestamp=timestamp)
    return client.post(URL, data=payload, content_type="application/json", HTTP_STRIPE_SIGNATURE=header)


def envelope(event_type: str, obj: dict) -> dict:
    """A Stripe event around `obj`, as Stripe sends it."""
    return {
        "id": f"evt_{ids.random_code(20)}",
        "object": "event",
        "type": event_type,
        "created": int(time.time()),
        "livemode": False,
        "api_version": "2024-06-20",
        "data": {"object": obj},
    }


def authorized_payment(key: str, amount: str = "10.00") -> Payment:
    payment = payment_authorize(
        amount=Money(Decimal(amount), "USD"), token="pm_card_visa", idempotency_key=key, provider="stripe"
    )
    assert payment.status == PaymentStatus.AUTHORIZED
    return payment


def test_the_route_is_the_documented_one():
    assert reverse("payments:stripe-webhook") == URL


def test_signed_event_is_applied(localstripe, client, db):
    # given an authorized payment that is then captured at Stripe (in the dashboard, say)
    payment = authorized_payment("wh-1")
    sdk().v1.payment_intents.capture(payment.provider_reference)
    [event] = localstripe.events("payment_intent.succeeded")

    # when Stripe's event arrives, signed
    response = post_event(client, event)

    # then it is accepted and the payment is captured here too
    assert response.status_code == 200
    assert response.json()["outcome"] == PaymentEvent.Outcome.APPLIED
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.CAPTURED
    recorded = PaymentEvent.objects.get(event_id=event["id"])
    assert recorded.provider == "stripe"
    assert recorded.kind == "captured"
    assert recorded.payment == payment


def test_event_delivered_twice_is_applied_once(localstripe, client, db):
    # given a captured-at-Stripe payment and its event
    payment = authorized_payment("wh-2")
    sdk().v1.payment_intents.capture(payment.provider_reference)
    [event] = localstripe.events("payment_intent.succeeded")

    # when the event is delivered twice
    first = post_event(client, event)
    second = post_event(client, event)

    # then both deliveries are acknowledged (so Stripe stops retrying) and one event is recorded
    assert first.status_code == second.status_code == 200
    assert PaymentEvent.objects.filter(event_id=event["id"]).count() == 1
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.CAPTURED


def test_late_authorized_event_after_capture_changes_nothing(localstripe, client, db):
    # given the intent as it was when authorized (what amount_capturable_updated carries) ...
    payment = authorized_payment("wh-3")
    authorized_snapshot = sdk().v1.payment_intents.retrieve(payment.provider_reference).to_dict()
    late = envelope("payment_intent.amount_capturable_updated", authorized_snapshot)
    # ... and the capture, whose event arrives first
    sdk().v1.payment_intents.capture(payment.provider_reference)
    [succeeded] = localstripe.events("payment_intent.succeeded")
    assert post_event(client, succeeded).status_code == 200

    # when the older "authorized" event arrives after it
    response = post_event(client, late)

    # then it is recorded and ignored: the payment stays captured
    assert response.status_code == 200
    assert response.json()["outcome"] == PaymentEvent.Outcome.IGNORED
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.CAPTURED


def test_cancel_event_voids_and_a_late_capture_event_is_ignored(localstripe, client, db):
    # given an authorized payment cancelled at Stripe
    payment = authorized_payment("wh-4")
    canceled = sdk().v1.payment_intents.cancel(payment.provider_reference).to_dict()
    succeeded_snapshot = {**canceled, "status": "succeeded"}

    # when the cancel event arrives, then (out of order) a capture event
    voided = post_event(client, envelope("payment_intent.canceled", canceled))
    late = post_event(client, envelope("payment_intent.succeeded", succeeded_snapshot))

    # then the payment is voided, and the late event changes nothing
    assert voided.json()["outcome"] == PaymentEvent.Outcome.APPLIED
    assert late.json()["outcome"] == PaymentEvent.Outcome.IGNORED
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.VOIDED


def test_refund_events_partial_then_full(localstripe, client, db):
    # given a payment captured here and refunded at Stripe, $4 then the other $6
    payment = authorized_payment("wh-5", "10.00")
    sdk().v1.payment_intents.capture(payment.provider_reference)
    post_event(client, localstripe.events("payment_intent.succeeded")[0])
    charge_id = sdk().v1.payment_intents.retrieve(payment.provider_reference)["latest_charge"]
    if isinstance(charge_id, dict | stripe.StripeObject):
        charge_id = charge_id["id"]
    sdk().v1.refunds.create(params={"payment_intent": payment.provider_reference, "amount": 400})
    after_first = sdk().v1.charges.retrieve(charge_id).to_dict()
    sdk().v1.refunds.create(params={"payment_intent": payment.provider_reference, "amount": 600})
    after_second = sdk().v1.charges.retrieve(charge_id).to_dict()

    # when the partial refund's event arrives
    post_event(client, envelope("charge.refunded", after_first))

    # then the refunded amount is recorded and the payment stays captured
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.CAPTURED
    assert payment.amount_refunded == Decimal("4.00")

    # when the full refund's event arrives
    post_event(client, envelope("charge.refunded", after_second))

    # then the payment is refunded
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.REFUNDED
    assert payment.amount_refunded == Decimal("10.00")


def test_failed_payment_event_for_an_unknown_intent_is_recorded_as_unknown(localstripe, client, db):
    # given a declined intent that no payment of ours points at (the decline answer was lost, say)
    with pytest.raises(stripe.CardError):
        sdk().v1.payment_intents.create(
            params={"amount": 500, "currency": "usd", "payment_method": "pm_card_chargeCustomerFail", "confirm": True}
        )
    [failed] = localstripe.events("payment_intent.payment_failed")

    # when its event arrives, then it is acknowledged and recorded against no payment
    response = post_event(client, failed)
    assert response.status_code == 200
    assert response.json()["outcome"] == PaymentEvent.Outcome.UNKNOWN_PAYMENT


@pytest.mark.parametrize(
    ("how", "make"),
    [
        ("wrong secret", lambda body: {"secret": "whsec_someone_else"}),
        ("expired timestamp", lambda body: {"timestamp": int(time.time()) - 3600}),
    ],
)
def test_badly_signed_event_is_refused_and_changes_nothing(localstripe, client, db, how, make):
    # given a genuine event
    payment = authorized_payment(f"wh-bad-{how}")
    sdk().v1.payment_intents.capture(payment.provider_reference)
    [event] = localstripe.events("payment_intent.succeeded")

    # when it arrives with a signature that does not verify
    response = post_event(client, event, **make(event))

    # then it is refused with a 400 naming the signature, and nothing is recorded or changed
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "signature"
    assert not PaymentEvent.objects.exists()
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.AUTHORIZED


def test_tampered_body_is_refused(localstripe, client, db):
    # given a signature made for one body
    event = envelope("payment_intent.succeeded", {"id": "pi_x", "amount": 100, "currency": "usd"})
    payload = json.dumps(event)
    header = stripe.WebhookSignature.generate_signature_header(payload, WEBHOOK_SECRET)

    # when the body is changed on the way
    tampered = payload.replace('"amount": 100', '"amount": 1')
    response = client.post(URL, data=tampered, content_type="application/json", HTTP_STRIPE_SIGNATURE=header)

    # then it is refused
    assert response.status_code == 400
    assert not PaymentEvent.objects.exists()


def test_missing_signature_is_refused(localstripe, client, db):
    response = client.post(URL, data=b'{"id": "evt_1"}', content_type="application/json")
    assert response.status_code == 400
    assert response.json()["code"] == "webhook_signature_invalid"


def test_signed_body_that_is_not_an_event_is_refused(localstripe, client, db):
    response = post_event(client, b'{"hello": "world"}')
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "payload"
    assert not PaymentEvent.objects.exists()


def test_without_a_webhook_secret_every_event_is_refused(localstripe, client, db, settings):
    settings.STRIPE_WEBHOOK_SECRET = ""
    response = post_event(client, envelope("payment_intent.succeeded", {"id": "pi_x"}))
    assert response.status_code == 400


def test_get_is_not_allowed(client, db):
    assert client.get(URL).status_code == 405


@pytest.mark.django_db(transaction=True)
def test_localstripe_delivers_its_event_to_the_running_server(localstripe, live_server):
    # given Stripe (localstripe) knows our webhook endpoint, and a payment we authorized
    localstripe.webhook_register(url=live_server.url + URL)
    payment = authorized_payment("wh-live")

    # when the payment is captured at Stripe, which then calls us on its own
    sdk().v1.payment_intents.capture(payment.provider_reference)
    deadline = time.monotonic() + 20
    ours = PaymentEvent.objects.filter(provider_reference=payment.provider_reference)
    while time.monotonic() < deadline and not ours.filter(kind="captured").exists():
        time.sleep(0.2)

    # then the signed delivery was verified and applied once (Stripe may send more than one event saying
    # "captured", e.g. charge.captured and payment_intent.succeeded: the later ones change nothing)
    recorded = ours.filter(kind="captured")
    assert recorded.order_by("pk").first().outcome == PaymentEvent.Outcome.APPLIED
    assert recorded.filter(outcome=PaymentEvent.Outcome.APPLIED).count() == 1
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.CAPTURED
