"""The shipping confirmation reaches the customer's mailbox: carrier, tracking number as a link, what is in the
parcel, what is still to come; one email per shipment."""

import pytest

from autosales.fulfillment.services import shipment_create
from autosales.inventory.models import StockLevel
from tests.factories import make_checkout, make_staff, place_test_order

pytestmark = pytest.mark.django_db


def _parts(message):
    html = message.get_body(("html",)).get_content()
    text = message.get_body(("plain",)).get_content()
    return html, text


def test_each_shipment_sends_one_email_with_its_tracking_link(smtp_server):
    # given an order of 5, of which 2 are backordered
    checkout = make_checkout(stock=3, has_account_terms=True, credit_limit=100_000)
    order = place_test_order(checkout, quantity=5, kind="account", backorder=True)
    smtp_server.deliver()  # the order confirmation
    line = order.lines.get()
    center = StockLevel.objects.get(variant=checkout.variant).warehouse

    shipment_create(
        order=order,
        warehouse=center,
        lines={line.pk: 3},
        carrier="fedex",
        tracking_number="794698383420",
        actor=make_staff(),
    )
    [message] = smtp_server.deliver()

    assert message["To"] == checkout.user.email
    assert f"order {order.number_display} has shipped (in part)" in message["Subject"]
    html, text = _parts(message)
    link = "https://www.fedex.com/fedextrack/?trknbr=794698383420"
    assert f'<a href="{link}"><strong>794698383420</strong></a>' in html
    assert "FedEx" in text and link in text
    assert f"3 x {line.sku}" in text  # in this parcel
    assert f"2 x {line.sku}" in text and "2 backordered" in text  # still to come
    order.refresh_from_db()
    assert order.arrives_to is not None  # the promise made at checkout is repeated
    assert "Expected delivery:" in text
    assert smtp_server.deliver() == []  # one email per shipment, never two
