"""Standing orders by card with the built-in test gateway: the card is saved on file and charged off-session;
when the bank wants the customer to confirm, they get an email and a page to do it, and the run completes."""

import datetime as dt
import re

import pytest

from autosales.core import clock
from autosales.notifications.delivery import outbox_deliver_pass
from autosales.notifications.models import OutboxEmail
from autosales.orders.models import Order, OrderStatus
from autosales.payments.errors import PaymentError
from autosales.payments.methods import payment_method_save
from autosales.payments.models import Payment, PaymentMethodOnFile, PaymentStatus, TestGatewayCharge
from autosales.recurring.models import Run
from autosales.recurring.scheduler import scheduler_tick
from autosales.recurring.scheduler.placement import runs_place
from tests.factories import make_checkout, make_organization
from tests.recurring.conftest import START, days, make_standing_order

pytestmark = pytest.mark.django_db

FIRST_DUE = dt.datetime(2027, 2, 1, 13, tzinfo=dt.UTC)  # 1 February, after 06:00 in Chicago


@pytest.fixture
def bulbs():
    clock.set_now(START)
    return make_checkout(stock=20_000, price="2.50")


def run_daily(until: dt.datetime, *, start: dt.datetime) -> list[dict]:
    events = []
    for moment in days(start, until):
        clock.set_now(moment)
        events += scheduler_tick(now=moment).events
    return events


def test_saving_a_card_keeps_only_gateway_references_with_one_customer_per_organization(bulbs):
    first = payment_method_save(organization=bulbs.organization, token="tok_approve")
    again = payment_method_save(organization=bulbs.organization, token="tok_approve")
    other = payment_method_save(organization=bulbs.organization, token="tok_decline")
    elsewhere = payment_method_save(organization=make_organization(), token="tok_approve")

    assert again.pk == first.pk
    assert first.customer_reference.startswith("tgc_") and other.customer_reference == first.customer_reference
    assert elsewhere.customer_reference != first.customer_reference
    assert (first.method_reference, first.last4) == ("tok_approve", "4242")
    assert first.label.startswith("Test ending 4242, expires 12/")
    fields = {f.name for f in PaymentMethodOnFile._meta.fields}
    assert fields.isdisjoint({"number", "card_number", "pan", "cvc", "cvv"})


def test_a_card_number_is_not_saved(bulbs):
    with pytest.raises(Exception) as raised:
        payment_method_save(organization=bulbs.organization, token="4242 4242 4242 4242")
    assert raised.value.code == PaymentError.CARD_NUMBER_NOT_ALLOWED
    assert not PaymentMethodOnFile.objects.exists()


def test_each_run_charges_the_card_on_file_off_session_as_the_gateway_customer(bulbs):
    # given a standing order paid by card
    standing_order = make_standing_order(bulbs, every=1, day=1, start=dt.date(2027, 2, 1), token="tok_approve")
    method = standing_order.payment_method
    assert method is not None and method.organization == bulbs.organization

    # when its first date comes
    run_daily(FIRST_DUE, start=FIRST_DUE)

    # then the order is paid by an off-session charge of the saved card, under the organization's customer
    run = Run.objects.get()
    assert run.status == Run.Status.PLACED and run.order.status == OrderStatus.PAID
    payment = Payment.objects.get()
    assert payment.request["customer"] == method.customer_reference and payment.request["off_session"] is True
    charge = TestGatewayCharge.objects.get()
    assert (charge.metadata["customer"], charge.metadata["off_session"]) == (method.customer_reference, "True")


def test_authentication_required_asks_the_customer_to_confirm_then_the_run_completes_with_one_charge(client, bulbs):
    # given a standing order on a card whose bank wants the cardholder to confirm each payment
    standing_order = make_standing_order(
        bulbs, every=1, day=1, start=dt.date(2027, 2, 1), token="tok_authentication_required"
    )

    # when its date comes
    events = run_daily(FIRST_DUE, start=FIRST_DUE)

    # then no order yet: the run waits on the dunning schedule, the payment waits for the customer ...
    run = Run.objects.get()
    assert [e["type"] for e in events if e["type"] != "notice"] == ["payment_failed"]
    assert run.status == Run.Status.RETRYING and run.failure_code == PaymentError.AUTHENTICATION_REQUIRED
    assert run.next_attempt_at == dt.datetime(2027, 2, 2, 12, tzinfo=dt.UTC)  # the first dunning day
    payment = Payment.objects.get()
    assert payment.status == PaymentStatus.ACTION_REQUIRED and run.action_payment == payment
    assert not Order.objects.exists()

    # ... and the customer is emailed a link to the page where they confirm it
    outbox_deliver_pass()  # the email is rendered when it is delivered
    email = OutboxEmail.objects.get(template="recurring/payment_authentication")
    assert email.to == [bulbs.user.email]
    link = re.search(r"https?://\S+/confirm/", email.body_text).group()
    path = link.split("://", 1)[1].split("/", 1)[1]
    assert path == f"standing-orders/{standing_order.public_id}/payments/{payment.public_id}/confirm/"

    # when the customer opens the page and confirms
    client.force_login(bulbs.user)
    page = client.get(f"/{path}")
    assert page.status_code == 200 and "Confirm the payment" in page.content.decode()
    confirmed = client.post(f"/{path}")
    assert confirmed.status_code == 302

    # then the payment is held and the run is due now; the next pass places it with that very payment
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.AUTHORIZED
    run.refresh_from_db()
    assert run.next_attempt_at <= clock.now()
    runs_place(now=clock.now())
    run.refresh_from_db()
    assert run.status == Run.Status.PLACED and run.order.status == OrderStatus.PAID
    assert Payment.objects.get().order == run.order  # no second payment
    assert TestGatewayCharge.objects.get().status == "captured"  # one charge, taken


def test_a_customer_who_never_confirms_goes_through_the_dunning_schedule(bulbs):
    make_standing_order(bulbs, every=1, day=1, start=dt.date(2027, 2, 1), token="tok_authentication_required")

    run_daily(dt.datetime(2027, 2, 10, 13, tzinfo=dt.UTC), start=FIRST_DUE)

    run = Run.objects.get()
    assert run.status == Run.Status.FAILED and run.failures == 4
    assert OutboxEmail.objects.filter(template="recurring/payment_authentication").count() == 3
    assert OutboxEmail.objects.filter(template="recurring/failed").count() == 1
    assert not Order.objects.exists()
    assert not TestGatewayCharge.objects.exclude(status="action_required").exists()  # nothing held


def test_another_organizations_buyer_gets_a_404_on_the_confirmation_page(client, bulbs):
    standing_order = make_standing_order(
        bulbs, every=1, day=1, start=dt.date(2027, 2, 1), token="tok_authentication_required"
    )
    run_daily(FIRST_DUE, start=FIRST_DUE)
    payment = Payment.objects.get()
    stranger = make_checkout()
    client.force_login(stranger.user)
    url = f"/standing-orders/{standing_order.public_id}/payments/{payment.public_id}/confirm/"
    assert client.get(url).status_code == 404
    assert client.post(url).status_code == 404
    assert Payment.objects.get().status == PaymentStatus.ACTION_REQUIRED


def test_the_same_key_with_other_parameters_is_refused_by_the_test_gateway_as_by_stripe(bulbs):
    from autosales.core.money import Money
    from autosales.payments.providers.base import FailureKind, ProviderError
    from autosales.payments.providers.test_gateway import TestGateway

    gateway = TestGateway()
    gateway.authorize(amount=Money("5.00", "USD"), token="tok_approve", idempotency_key="k", metadata={"order": "A"})
    with pytest.raises(ProviderError) as raised:
        gateway.authorize(amount=Money("5.00", "USD"), token="tok_approve", idempotency_key="k", metadata={})
    assert raised.value.kind == FailureKind.INVALID


def test_a_payment_confirmed_hours_later_is_not_released_by_the_expiry_job_before_the_run_uses_it(client, bulbs):
    from autosales.checkout.expiry import checkouts_expire_stale

    standing_order = make_standing_order(
        bulbs, every=1, day=1, start=dt.date(2027, 2, 1), token="tok_authentication_required"
    )
    run_daily(FIRST_DUE, start=FIRST_DUE)
    payment = Payment.objects.get()

    # given the customer confirms the payment hours after the try that asked for it
    clock.set_now(FIRST_DUE + dt.timedelta(hours=5))
    client.force_login(bulbs.user)
    client.post(f"/standing-orders/{standing_order.public_id}/payments/{payment.public_id}/confirm/")

    # when the expiry job (which releases held payments no order took) runs before the scheduler
    checkouts_expire_stale()

    # then the hold is still there, and the run is placed with it
    assert Payment.objects.get().status == PaymentStatus.AUTHORIZED
    runs_place(now=clock.now())
    assert Run.objects.get().status == Run.Status.PLACED
    assert TestGatewayCharge.objects.get().status == "captured"


def test_a_failed_event_for_a_payment_waiting_for_the_customer_leaves_it_waiting(bulbs):
    # Stripe sends payment_intent.payment_failed when an off-session charge needs authentication, although
    # the customer can still confirm that intent.
    from autosales.payments.models import PaymentEvent
    from autosales.payments.providers.test_gateway import webhook_headers, webhook_payload
    from autosales.payments.services import webhook_apply

    make_standing_order(bulbs, every=1, day=1, start=dt.date(2027, 2, 1), token="tok_authentication_required")
    run_daily(FIRST_DUE, start=FIRST_DUE)
    payment = Payment.objects.get()

    body = webhook_payload(event_id="evt_1", kind="charge.failed", reference=payment.provider_reference)
    event = webhook_apply(provider="test", payload=body, headers=webhook_headers(body))

    assert event.outcome == PaymentEvent.Outcome.IGNORED
    assert Payment.objects.get().status == PaymentStatus.ACTION_REQUIRED


def test_the_standing_order_page_shows_the_card_on_file_by_brand_and_last_4_digits(client, bulbs):
    standing_order = make_standing_order(bulbs, every=1, day=1, start=dt.date(2027, 2, 1), token="tok_approve")
    client.force_login(bulbs.user)
    html = client.get(f"/standing-orders/{standing_order.public_id}/").content.decode()
    assert "Test ending 4242, expires 12/" in html


def test_after_the_last_try_the_page_no_longer_takes_the_confirmation(client, bulbs):
    standing_order = make_standing_order(
        bulbs, every=1, day=1, start=dt.date(2027, 2, 1), token="tok_authentication_required"
    )
    run_daily(dt.datetime(2027, 2, 10, 13, tzinfo=dt.UTC), start=FIRST_DUE)
    run = Run.objects.get()
    assert run.status == Run.Status.FAILED
    url = f"/standing-orders/{standing_order.public_id}/payments/{run.action_payment.public_id}/confirm/"

    client.force_login(bulbs.user)
    assert "no longer waiting" in client.get(url).content.decode()
    response = client.post(url)

    assert response.status_code == 409
    assert Payment.objects.get(pk=run.action_payment_id).status == PaymentStatus.ACTION_REQUIRED
    assert not Order.objects.exists()
