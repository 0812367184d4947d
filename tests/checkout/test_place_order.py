"""place_order: card and account orders, declines, lost answers, replays, refusals."""

from decimal import Decimal

import pytest

from autosales.checkout.errors import CheckoutError, PriceChanged
from autosales.checkout.models import CheckoutAttempt
from autosales.core.errors import DomainError
from autosales.core.money import Money
from autosales.inventory.models import StockLevel
from autosales.notifications.delivery import outbox_deliver_pass
from autosales.notifications.models import OutboxEmail
from autosales.orders.models import Order, OrderEvent, OrderStatus
from autosales.payments.errors import PaymentError, PaymentUnavailable
from autosales.payments.models import Payment, PaymentStatus, TestGatewayCharge
from autosales.pricing.models import Price
from tests.factories import make_checkout, make_tax_rate, place_test_order

pytestmark = pytest.mark.django_db


def stock_of(variant) -> StockLevel:
    return StockLevel.objects.get(variant=variant)


def test_card_order_is_paid_with_number_lines_totals_events_and_confirmation_email():
    # given a buyer, 10 units at $10.00, a $5.00 flat shipping method and 6.25 % tax in Illinois
    checkout = make_checkout()
    make_tax_rate(country="US", region="IL", rate_percent="6.25")

    # when the buyer orders 3 by card
    order = place_test_order(checkout, quantity=3)

    # then the order is paid, priced, and its stock allocated
    order.refresh_from_db()
    assert order.status == OrderStatus.PAID
    assert len(order.number) == 10 and order.number_display.count("-") == 2
    assert (order.subtotal, order.shipping, order.tax, order.total) == tuple(map(Decimal, ["30", "5", "1.88", "36.88"]))
    assert order.total == order.subtotal + order.shipping + order.tax
    [line] = order.lines.all()
    assert (line.sku, line.quantity, line.unit_price, line.line_total) == (checkout.variant.sku, 3, 10, 30)
    assert stock_of(checkout.variant).allocated == 3
    assert order.ship_postal_code == checkout.address.postal_code
    # and the card was authorized and captured once
    [payment] = Payment.objects.filter(order=order)
    assert payment.status == PaymentStatus.CAPTURED and payment.amount == order.total
    assert TestGatewayCharge.objects.get().status == TestGatewayCharge.Status.CAPTURED
    # and the trail says what happened
    kinds = list(order.events.values_list("kind", "data__to"))
    assert (OrderEvent.Kind.CREATED, None) in kinds
    assert (OrderEvent.Kind.STATUS_CHANGED, "placed") in kinds
    assert (OrderEvent.Kind.STATUS_CHANGED, "paid") in kinds
    # and the confirmation email, rendered when it is delivered, carries the number, lines, total, address and link
    outbox_deliver_pass()
    [email] = OutboxEmail.objects.all()
    assert email.to == [checkout.user.email]
    assert order.number_display in email.subject
    for text in (
        order.number_display,
        checkout.variant.sku,
        "$36.88",
        checkout.address.line1,
        f"/orders/{order.public_id}/",
    ):
        assert text in email.body_text
        assert text in email.body_html


def _broken_template(settings, tmp_path, name: str) -> None:
    """Puts a template that cannot compile in front of the shipped one (as a bad deploy would)."""
    path = tmp_path / "emails" / f"{name}.html"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("{% extends 'emails/base.html' %}{% block content %}{% if %}{% endblock %}")
    templates = [{**engine, "DIRS": [tmp_path, *engine.get("DIRS", [])]} for engine in settings.TEMPLATES]
    settings.TEMPLATES = templates


def test_a_broken_confirmation_template_cannot_undo_a_paid_order(settings, tmp_path):
    # given the confirmation email's template is broken
    _broken_template(settings, tmp_path, "orders/confirmation")
    checkout = make_checkout()

    # when the buyer orders by card
    order = place_test_order(checkout, quantity=2)

    # then the order is placed and paid, its stock held, and the email it owes is in the outbox
    assert order.status == OrderStatus.PAID
    assert Payment.objects.get(order=order).status == PaymentStatus.CAPTURED
    assert stock_of(checkout.variant).allocated == 2
    email = OutboxEmail.objects.get(template="orders/confirmation")
    # and delivering it marks that email failed with the reason, for staff to see, and leaves the order alone
    outbox_deliver_pass()
    email.refresh_from_db()
    assert email.status == OutboxEmail.Status.FAILED
    assert "cannot render emails/orders/confirmation" in email.last_error
    assert "TemplateSyntaxError" in email.last_error
    order.refresh_from_db()
    assert order.status == OrderStatus.PAID


def test_a_buyer_with_an_unusable_email_address_still_gets_the_order():
    # given a buyer whose stored address is not an email address
    checkout = make_checkout()
    checkout.user.email = "buyer at example dot com"
    checkout.user.save(update_fields=["email"])

    order = place_test_order(checkout, quantity=1)

    assert order.status == OrderStatus.PAID
    outbox_deliver_pass()
    email = OutboxEmail.objects.get(template="orders/confirmation")
    assert email.status == OutboxEmail.Status.FAILED
    assert "is not an email address" in email.last_error


def test_account_order_is_on_account_without_any_gateway_call():
    checkout = make_checkout(has_account_terms=True, credit_limit=1000)

    order = place_test_order(checkout, quantity=2, kind="account")

    assert order.status == OrderStatus.ON_ACCOUNT
    assert not Payment.objects.exists() and not TestGatewayCharge.objects.exists()
    assert OutboxEmail.objects.filter(template="orders/confirmation", related_id=str(order.pk)).count() == 1
    assert stock_of(checkout.variant).allocated == 2


@pytest.mark.parametrize(
    ("token", "code"),
    [("tok_decline", PaymentError.DECLINED), ("tok_insufficient_funds", PaymentError.INSUFFICIENT_FUNDS)],
)
def test_declined_card_gives_a_clear_error_no_order_and_no_held_stock(token, code):
    checkout = make_checkout()

    with pytest.raises(DomainError) as raised:
        place_test_order(checkout, quantity=4, token=token, key="k1")

    assert raised.value.code == code and raised.value.field == "payment"
    assert "declined" in raised.value.message
    assert not Order.objects.exists()
    assert stock_of(checkout.variant).allocated == 0
    assert not OutboxEmail.objects.exists()
    assert Payment.objects.get().status == PaymentStatus.FAILED
    # and the same submission again gives the same answer without asking the gateway again
    with pytest.raises(DomainError) as again:
        place_test_order(checkout, quantity=4, token=token, key="k1")
    assert again.value.code == code
    assert TestGatewayCharge.objects.count() == 1


def test_unknown_card_token_is_refused_and_holds_nothing():
    checkout = make_checkout()
    with pytest.raises(DomainError) as raised:
        place_test_order(checkout, token="tok_no_such_card")
    assert raised.value.code == PaymentError.INVALID_TOKEN
    assert not Order.objects.exists() and stock_of(checkout.variant).allocated == 0


def test_lost_gateway_answer_then_retry_with_the_same_key_charges_once():
    # given the gateway authorizes but the answer is lost
    checkout = make_checkout()
    with pytest.raises(PaymentUnavailable) as raised:
        place_test_order(checkout, quantity=2, token="tok_network_error", key="k-lost")
    assert raised.value.status == 503 and raised.value.field == "payment"
    # then the stock stays reserved for the retry and no order is visible yet
    assert stock_of(checkout.variant).allocated == 2
    assert Order.objects.get().status == OrderStatus.PENDING_PAYMENT
    assert not OutboxEmail.objects.exists()

    # when the customer retries with the same key
    order = place_test_order(checkout, quantity=2, token="tok_network_error", key="k-lost")

    # then there is one order and one charge
    assert order.status == OrderStatus.PAID
    assert Order.objects.count() == 1 and TestGatewayCharge.objects.count() == 1
    assert Payment.objects.get().status == PaymentStatus.CAPTURED
    assert stock_of(checkout.variant).allocated == 2
    assert OutboxEmail.objects.count() == 1
    # and the trail is whole, written when the retry confirmed it
    trail = [(e.kind, e.data.get("action") or e.data.get("to") or "") for e in order.events.all()]
    assert trail == [
        (OrderEvent.Kind.CREATED, ""),
        (OrderEvent.Kind.PAYMENT, "authorized"),
        (OrderEvent.Kind.PAYMENT, "captured"),
        (OrderEvent.Kind.STATUS_CHANGED, "placed"),
        (OrderEvent.Kind.EMAIL_QUEUED, [checkout.user.email]),
        (OrderEvent.Kind.STATUS_CHANGED, "paid"),
    ]


def test_a_shop_that_captures_later_authorizes_at_checkout_then_captures_once(settings):
    # given a shop that takes the money after confirming the order
    settings.PAYMENT_CAPTURE_AT_ORDER = False
    checkout = make_checkout()

    # when a buyer orders by card
    order = place_test_order(checkout, quantity=2)

    # then the order is paid by one charge, authorized then captured in a second call
    assert order.status == OrderStatus.PAID
    [payment] = Payment.objects.filter(order=order)
    assert payment.status == PaymentStatus.CAPTURED and "capture" not in payment.request
    assert TestGatewayCharge.objects.get().status == TestGatewayCharge.Status.CAPTURED
    assert order.events.filter(kind=OrderEvent.Kind.STATUS_CHANGED, data__to="placed").exists()


def test_request_lost_before_the_gateway_then_retry_approves_once():
    checkout = make_checkout()
    with pytest.raises(PaymentUnavailable):
        place_test_order(checkout, token="tok_timeout_then_approve", key="k-timeout")
    assert TestGatewayCharge.objects.get().status == TestGatewayCharge.Status.LOST

    order = place_test_order(checkout, token="tok_timeout_then_approve", key="k-timeout")

    assert order.status == OrderStatus.PAID
    assert TestGatewayCharge.objects.get().status == TestGatewayCharge.Status.CAPTURED


def test_replay_with_the_same_key_returns_the_same_order_and_charges_once():
    checkout = make_checkout()
    first = place_test_order(checkout, quantity=2, key="same")
    second = place_test_order(checkout, quantity=2, key="same")
    assert first.pk == second.pk
    assert Order.objects.count() == 1 and Payment.objects.count() == 1 and TestGatewayCharge.objects.count() == 1
    assert stock_of(checkout.variant).allocated == 2
    assert OutboxEmail.objects.count() == 1


def test_same_key_with_a_different_request_is_refused_with_422_and_changes_nothing():
    checkout = make_checkout()
    place_test_order(checkout, quantity=2, key="same")
    with pytest.raises(DomainError) as raised:
        place_test_order(checkout, quantity=3, key="same")
    assert raised.value.status == 422 and raised.value.code == CheckoutError.IDEMPOTENCY_KEY_REUSED
    assert raised.value.field == "idempotency_key"
    assert Order.objects.count() == 1 and stock_of(checkout.variant).allocated == 2


def test_the_same_key_in_another_organization_is_another_order():
    one, two = make_checkout(), make_checkout()
    assert place_test_order(one, key="k").pk != place_test_order(two, key="k").pk


def test_not_enough_stock_is_refused_naming_the_sku_and_the_key_can_be_used_again():
    checkout = make_checkout(stock=3)
    with pytest.raises(DomainError) as raised:
        place_test_order(checkout, quantity=5, key="k-stock")
    assert raised.value.code == "insufficient_stock" and raised.value.status == 409
    assert checkout.variant.sku in raised.value.message and "3 available" in raised.value.message
    assert not Order.objects.exists() and not Payment.objects.exists()
    assert not CheckoutAttempt.objects.exists()

    order = place_test_order(checkout, quantity=3, key="k-stock")
    assert order.status == OrderStatus.PAID and stock_of(checkout.variant).allocated == 3


@pytest.mark.parametrize(
    ("org_fields", "code"),
    [
        ({"has_account_terms": False}, CheckoutError.ACCOUNT_NO_TERMS),
        ({"has_account_terms": True, "credit_limit": 1000, "credit_hold": True}, CheckoutError.ACCOUNT_CREDIT_HOLD),
        ({"has_account_terms": True, "credit_limit": 20}, CheckoutError.ACCOUNT_CREDIT_LIMIT),
    ],
)
def test_charge_to_account_is_refused_with_the_reason(org_fields, code):
    checkout = make_checkout(**org_fields)
    with pytest.raises(DomainError) as raised:
        place_test_order(checkout, quantity=2, kind="account")  # $25.00 with shipping
    assert raised.value.code == code and raised.value.field == "payment"
    assert not Order.objects.exists() and stock_of(checkout.variant).allocated == 0


def test_credit_limit_counts_open_and_unshipped_account_orders():
    # given a $60 limit and an open $35 account order
    checkout = make_checkout(has_account_terms=True, credit_limit=60)
    place_test_order(checkout, quantity=3, kind="account")
    # when a second $35 order would take the exposure to $70
    with pytest.raises(DomainError) as raised:
        place_test_order(checkout, quantity=3, kind="account")
    # then it is refused, saying how much credit is left
    assert raised.value.code == CheckoutError.ACCOUNT_CREDIT_LIMIT
    assert "$25.00" in raised.value.message
    # and a $25 one still fits exactly
    assert place_test_order(checkout, quantity=2, kind="account").status == OrderStatus.ON_ACCOUNT


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"postal_code": "ABC"}, "shipping_address.postal_code"),
        ({"line1": ""}, "shipping_address.line1"),
        ({"country": "XX"}, "shipping_address.country"),
    ],
)
def test_invalid_delivery_address_is_refused_naming_the_field(change, field):
    checkout = make_checkout()
    for name, value in change.items():
        setattr(checkout.address, name, value)
    with pytest.raises(DomainError) as raised:
        place_test_order(checkout)
    assert raised.value.field == field
    assert not Order.objects.exists()


def test_another_organizations_address_is_refused():
    mine, theirs = make_checkout(), make_checkout()
    with pytest.raises(DomainError) as raised:
        place_test_order(mine, shipping_address=theirs.address)
    assert raised.value.code == CheckoutError.ADDRESS_NOT_YOURS


def test_shipping_method_that_does_not_serve_the_country_is_refused():
    checkout = make_checkout()
    checkout.shipping_method.countries = ["CA"]
    checkout.shipping_method.save()
    with pytest.raises(DomainError) as raised:
        place_test_order(checkout)
    assert raised.value.field == "shipping_method"


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"idempotency_key": ""}, "idempotency_key"),
        ({"idempotency_key": "x" * 201}, "idempotency_key"),
        ({"lines": []}, "lines"),
    ],
)
def test_bad_request_fields_are_named(overrides, field):
    checkout = make_checkout()
    with pytest.raises(DomainError) as raised:
        place_test_order(checkout, **overrides)
    assert raised.value.field == field
    assert not Order.objects.exists()


def test_card_payment_needs_a_token_and_quantity_must_be_positive():
    checkout = make_checkout()
    with pytest.raises(DomainError) as no_token:
        place_test_order(checkout, token="")
    assert no_token.value.field == "payment.token"
    with pytest.raises(DomainError) as zero:
        place_test_order(checkout, quantity=0)
    assert zero.value.field == "lines[0].quantity"


def test_organization_price_list_prices_the_order():
    from autosales.pricing.models import Price, PriceList

    checkout = make_checkout()
    special = PriceList.objects.create(name="Special")
    special.organizations.add(checkout.organization)
    Price.objects.create(price_list=special, variant=checkout.variant, amount=7)

    order = place_test_order(checkout, quantity=2)

    assert order.subtotal == 14 and order.lines.get().unit_price == 7


def _reprice(variant, amount: str) -> None:
    Price.objects.filter(variant=variant).update(amount=Decimal(amount))


def test_an_order_at_the_total_the_customer_expected_is_placed():
    checkout = make_checkout()
    order = place_test_order(checkout, quantity=2, expected_total=Money(Decimal("25.00"), "USD"))
    assert order.status == OrderStatus.PAID and order.total == Decimal("25.00")


def test_a_total_that_changed_since_the_customer_looked_is_refused_with_the_new_figures_and_charges_nothing():
    # given the buyer was shown $25.00 (2 x $10.00 + $5.00 shipping), then the price went up
    checkout = make_checkout()
    _reprice(checkout.variant, "12.00")
    # when they confirm at the total they were shown
    with pytest.raises(PriceChanged) as raised:
        place_test_order(checkout, quantity=2, key="k-price", expected_total=Money(Decimal("25.00"), "USD"))
    # then nothing happened, and the error says the new total
    error = raised.value
    assert (error.code, error.field, error.status) == ("price_changed", "expected_total", 409)
    assert error.quote.total == Money(Decimal("29.00"), "USD")
    assert "$29.00" in error.message and "$25.00" in error.message
    assert not Order.objects.exists() and not TestGatewayCharge.objects.exists()
    assert stock_of(checkout.variant).allocated == 0
    # and the same key may confirm the new total
    order = place_test_order(checkout, quantity=2, key="k-price", expected_total=Money(Decimal("29.00"), "USD"))
    assert order.total == Decimal("29.00")
