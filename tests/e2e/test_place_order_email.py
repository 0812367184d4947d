"""Place an order, deliver the outbox to a real SMTP server on loopback, read the confirmation back."""

import pytest

from autosales.orders.services import order_cancel
from tests.factories import make_checkout, make_tax_rate, place_test_order

pytestmark = pytest.mark.django_db


def body_of(message, subtype: str) -> str:
    return message.get_body(preferencelist=(subtype,)).get_content()


def test_the_confirmation_email_read_back_from_smtp_carries_the_same_number(smtp_server):
    # given a buyer in Illinois with tax
    checkout = make_checkout(price="12.50")
    make_tax_rate(country="US", region="IL", rate_percent="6.25")

    # when they order by card and the outbox is delivered
    order = place_test_order(checkout, quantity=2)
    [message] = smtp_server.deliver()

    # then the email arrived at the buyer with the confirmation number, lines, totals, address and link
    assert message["To"] == checkout.user.email
    assert order.number_display in message["Subject"]
    text, html = body_of(message, "plain"), body_of(message, "html")
    for part in (text, html):
        assert order.number_display in part
        assert checkout.variant.sku in part
        assert str(order.total_money) in part
        assert checkout.address.line1 in part
        assert f"/orders/{order.public_id}/" in part


def test_the_cancellation_email_arrives_too(smtp_server):
    checkout = make_checkout()
    order = place_test_order(checkout)
    smtp_server.deliver()

    order_cancel(order=order, actor=None, reason="Out of budget")
    [message] = smtp_server.deliver()

    assert "cancelled" in message["Subject"] and order.number_display in message["Subject"]
    assert "Out of budget" in body_of(message, "plain")
