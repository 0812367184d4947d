"""The customer's order page tells its history in words, in the customer's time zone: who was emailed, what the
card was charged, what shipped with which tracking number; never a status code or a stored list."""

import datetime as dt
import re
from html import unescape

import pytest

from autosales.core import clock
from autosales.orders.models import OrderEvent
from autosales.orders.presenters import event_in_words
from tests.factories import make_checkout, place_test_order, ship_test_order

pytestmark = pytest.mark.django_db


def _history(html: str) -> list[str]:
    section = html.split('<ol class="order-events">', 1)[1].split("</ol>", 1)[0]
    return [
        re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", item)).strip() for item in re.findall(r"<li>(.*?)</li>", section)
    ]


def test_the_order_page_tells_its_history_in_words_in_the_customers_time(client):
    clock.set_now(dt.datetime(2027, 3, 2, 15, 30, tzinfo=dt.UTC))  # 9:30 in Chicago
    checkout = make_checkout(stock=10, timezone="America/Chicago")
    checkout.user.first_name, checkout.user.last_name = "Dana", "Whitfield"
    checkout.user.save()
    order = place_test_order(checkout, quantity=3)
    ship_test_order(order, units=3, tracking="1Z999AA10123456784")
    client.force_login(checkout.user)

    history = _history(unescape(client.get(f"/orders/{order.public_id}/").content.decode()))

    text = "\n".join(history)
    assert history[0].startswith("Mar 2, 2027, 09:30 CST — Order placed by card, total $")
    assert "Card payment of $" in text and " authorized" in text
    assert "Status: paid" in text
    assert "Confirmation emailed to Dana Whitfield" in text  # the buyer, by name
    assert "Shipping confirmation emailed to Dana Whitfield" in text
    assert "tracking number 1Z999AA10123456784" in text and "3 × " in text
    # nothing as stored: no status codes, no Python lists or dicts
    for raw in ("['", "{'", "email_queued", "status_changed", "on_account", "orders/confirmation"):
        assert raw not in text


def test_each_kind_of_event_has_words():
    for kind, data, words in [
        (
            OrderEvent.Kind.CREATED,
            {"source": "standing_order", "payment_kind": "account", "total": "12.5"},
            "Order placed by a standing order on account, total $12.50",
        ),
        (OrderEvent.Kind.STATUS_CHANGED, {"from": "paid", "to": "partially_shipped"}, "Status: partially shipped"),
        (
            OrderEvent.Kind.EMAIL_QUEUED,
            {"template": "orders/cancelled", "to": ["x@y.test"]},
            "Cancellation notice emailed to x@y.test",
        ),
        (OrderEvent.Kind.PAYMENT, {"action": "refunded", "amount": "4"}, "$4.00 refunded to the card"),
        (
            OrderEvent.Kind.PAYMENT,
            {"action": "capture_failed", "shipment": "S-1"},
            "Taking the card payment failed; it is tried again (shipment S-1)",
        ),
        (OrderEvent.Kind.STOCK_RELEASED, {"units": 3}, "3 units returned to stock"),
        (OrderEvent.Kind.BACKORDERED, {"lines": {"A-1": 2}}, "Backordered, shipped when stock arrives: 2 × A-1"),
        (OrderEvent.Kind.ALLOCATED, {"lines": ["A-1"]}, "Backordered items now in stock: A-1"),
        (OrderEvent.Kind.DELIVERED, {"shipment": "S-1"}, "Shipment S-1 delivered"),
        (
            OrderEvent.Kind.REMAINDER_CANCELLED,
            {"lines": {"A-1": 1}, "reason": "Discontinued"},
            "Unshipped items cancelled: 1 × A-1. Reason: Discontinued",
        ),
    ]:
        assert event_in_words(OrderEvent(kind=kind, data=data), currency="USD", people={}) == words


def test_several_recipients_are_named_together():
    event = OrderEvent(
        kind=OrderEvent.Kind.EMAIL_QUEUED, data={"template": "orders/confirmation", "to": ["A@x.test", "b@x.test"]}
    )
    people = {"a@x.test": "Dana Whitfield", "b@x.test": "Marcus Lee"}
    assert (
        event_in_words(event, currency="USD", people=people) == "Confirmation emailed to Dana Whitfield and Marcus Lee"
    )


def _order_page_queries(client, members: int, shipments: int) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from tests.factories import make_member

    checkout = make_checkout(stock=50)
    for _ in range(members):
        make_member(organization=checkout.organization)
    order = place_test_order(checkout, quantity=shipments)
    for _ in range(shipments):
        ship_test_order(order, units=1)
    client.force_login(checkout.user)
    with CaptureQueriesContext(connection) as queries:
        assert client.get(f"/orders/{order.public_id}/").status_code == 200
    return len(queries)


def test_the_order_page_query_count_does_not_grow_with_its_events_or_people(client):
    assert _order_page_queries(client, members=1, shipments=1) == _order_page_queries(client, members=6, shipments=3)
