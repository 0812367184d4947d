"""The clerk's work queue: per center, what is allocated there, oldest first, filtered, paginated, in a
fixed number of queries; only the fulfillment role and managers get in."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from autosales.core import clock
from autosales.inventory.models import StockLevel
from autosales.orders.models import Order
from tests.factories import make_checkout, make_product, make_staff, make_warehouse, place_test_order

pytestmark = pytest.mark.django_db

QUEUE = "/backoffice/fulfillment/"


def _placed(checkout, *, at: dt.datetime | None = None, **kwargs) -> Order:
    order = place_test_order(checkout, **kwargs)
    if at is not None:
        Order.objects.filter(pk=order.pk).update(placed_at=at)
    return order


def test_salespeople_customers_and_anonymous_callers_are_kept_out(client):
    checkout = make_checkout()
    assert client.get(QUEUE).status_code == 302
    client.force_login(checkout.user)
    assert client.get(QUEUE).status_code == 403
    client.force_login(make_staff(group="salesperson"))
    assert client.get(QUEUE).status_code == 403
    assert "/backoffice/fulfillment/" not in client.get("/backoffice/").content.decode()


@pytest.mark.parametrize("group", ["fulfillment", "manager"])
def test_clerks_and_managers_get_in_from_the_back_office_menu(client, group):
    client.force_login(make_staff(group=group))
    assert 'href="/backoffice/fulfillment/"' in client.get("/backoffice/").content.decode()
    assert client.get(QUEUE).status_code == 200


def test_each_center_lists_its_orders_with_what_is_allocated_there(client):
    east = make_warehouse(code="EAST", priority=0)
    west = make_warehouse(code="WEST", priority=1)
    checkout = make_checkout()  # its product's stock is in the first warehouse made (EAST)
    west_product = make_product(stock=10, warehouse=west)
    west_variant = west_product.variants.get()
    StockLevel.objects.filter(variant=west_variant).update(bin="W-07-2")
    StockLevel.objects.filter(variant=checkout.variant).update(bin="E-01-1")
    from autosales.checkout.placement import LineRequest

    split = place_test_order(
        checkout,
        lines=[
            LineRequest(variant_id=checkout.variant.pk, quantity=2),
            LineRequest(variant_id=west_variant.pk, quantity=3),
        ],
    )
    east_only = place_test_order(checkout, quantity=1)
    client.force_login(make_staff(group="fulfillment"))

    east_page = client.get(QUEUE, {"center": "EAST"}).content.decode()
    assert split.number_display in east_page and east_only.number_display in east_page
    assert f"2 × {checkout.variant.sku}" in east_page and "bin E-01-1" in east_page
    assert west_variant.sku not in east_page

    west_page = client.get(QUEUE, {"center": "WEST"}).content.decode()
    assert split.number_display in west_page and east_only.number_display not in west_page
    assert f"3 × {west_variant.sku}" in west_page and "bin W-07-2" in west_page
    assert checkout.variant.sku not in west_page
    assert east.pk != west.pk


def test_the_first_center_is_shown_when_none_is_chosen_and_an_unknown_one_is_a_400(client):
    make_warehouse(code="MAIN")
    client.force_login(make_staff(group="fulfillment"))
    assert "Ready to ship from MAIN" in client.get(QUEUE).content.decode()
    response = client.get(QUEUE, {"center": "NOPE"})
    assert response.status_code == 400
    assert "center: Select a valid choice." in response.content.decode()


def test_oldest_first_and_shipped_or_cancelled_orders_leave_the_queue(client):
    checkout = make_checkout(stock=50)
    now = clock.now()
    newer = _placed(checkout, at=now - dt.timedelta(hours=1))
    older = _placed(checkout, at=now - dt.timedelta(days=2))
    gone = _placed(checkout, at=now - dt.timedelta(days=3))
    from autosales.orders.services import order_cancel

    staff = make_staff(group="fulfillment")
    order_cancel(order=gone, actor=staff, reason="Customer changed their mind")
    client.force_login(staff)
    html = client.get(QUEUE).content.decode()
    assert gone.number_display not in html
    assert html.index(older.number_display) < html.index(newer.number_display)


def test_filter_by_shipping_method(client):
    from tests.factories import make_shipping_method

    checkout = make_checkout(stock=50)
    ground = _placed(checkout)
    express = make_shipping_method(code="express", name="Express")
    fast = _placed(checkout, shipping_method=express)
    client.force_login(make_staff(group="manager"))
    html = client.get(QUEUE, {"method": "express"}).content.decode()
    assert fast.number_display in html and ground.number_display not in html
    assert client.get(QUEUE, {"method": "no-such"}).status_code == 400


def test_a_bad_date_filter_is_a_400_naming_the_field(client):
    make_checkout()
    client.force_login(make_staff(group="fulfillment"))
    response = client.get(QUEUE, {"requested_by": "next tuesday"})
    assert response.status_code == 400
    assert "requested_by: Enter a valid date." in response.content.decode()


def test_the_queue_is_paginated(client):
    checkout = make_checkout(stock=100)
    orders = [_placed(checkout, at=clock.now() - dt.timedelta(minutes=60 - i)) for i in range(52)]
    client.force_login(make_staff(group="fulfillment"))
    first = client.get(QUEUE).content.decode()
    assert "52 orders waiting" in first and "Page 1 of 2" in first
    assert orders[0].number_display in first and orders[51].number_display not in first
    second = client.get(QUEUE, {"page": 2}).content.decode()
    assert orders[51].number_display in second


def _queue_queries(client, count: int) -> int:
    checkout = make_checkout(stock=500)
    second = make_product(stock=500, warehouse=make_warehouse())
    from autosales.checkout.placement import LineRequest

    for _ in range(count):
        place_test_order(
            checkout,
            lines=[
                LineRequest(variant_id=checkout.variant.pk, quantity=1),
                LineRequest(variant_id=second.variants.get().pk, quantity=2),
            ],
        )
    client.force_login(make_staff(group="fulfillment"))
    with CaptureQueriesContext(connection) as queries:
        assert client.get(QUEUE, {"method": checkout.shipping_method.code}).status_code == 200
    client.logout()
    return len(queries)


def test_the_queue_query_count_does_not_grow_with_the_orders(client):
    few = _queue_queries(client, 2)
    assert few == _queue_queries(client, 25)
    # 7 of them every back-office page makes (session, user, permissions, cart, notifications); then the
    # clerk's centers, the shipping methods, the count, the page of orders and their allocations at the center
    assert few <= 12


def test_the_oldest_promised_ship_date_comes_first_and_orders_without_a_promise_last(client):
    checkout = make_checkout(stock=50)
    today = clock.today()
    no_promise = _placed(checkout, at=clock.now() - dt.timedelta(days=5))
    later = _placed(checkout)
    sooner = _placed(checkout)
    Order.objects.filter(pk=no_promise.pk).update(ships_on=None, arrives_from=None, arrives_to=None)
    Order.objects.filter(pk=later.pk).update(ships_on=today + dt.timedelta(days=2))
    Order.objects.filter(pk=sooner.pk).update(ships_on=today)
    client.force_login(make_staff(group="fulfillment"))
    html = client.get(QUEUE).content.decode()
    positions = [html.index(o.number_display) for o in (sooner, later, no_promise)]
    assert positions == sorted(positions)


def test_late_orders_are_marked_and_can_be_shown_alone(client):
    checkout = make_checkout(stock=50)
    late = _placed(checkout)
    on_time = _placed(checkout)
    Order.objects.filter(pk=late.pk).update(ships_on=clock.today() - dt.timedelta(days=3))
    Order.objects.filter(pk=on_time.pk).update(ships_on=clock.today() + dt.timedelta(days=1))
    client.force_login(make_staff(group="fulfillment"))
    html = client.get(QUEUE).content.decode()
    late_row = html.split(late.number_display, 1)[1].split("</tr>", 1)[0]
    on_time_row = html.split(on_time.number_display, 1)[1].split("</tr>", 1)[0]
    assert ">late<" in late_row and ">late<" not in on_time_row
    html = client.get(QUEUE, {"late": "1"}).content.decode()
    assert late.number_display in html and on_time.number_display not in html


def test_filter_by_requested_delivery_date(client):
    checkout = make_checkout(stock=50)
    soon = _placed(checkout)
    far = _placed(checkout)
    unasked = _placed(checkout)
    Order.objects.filter(pk=soon.pk).update(requested_delivery_date=dt.date(2027, 3, 1))
    Order.objects.filter(pk=far.pk).update(requested_delivery_date=dt.date(2027, 4, 1))
    client.force_login(make_staff(group="fulfillment"))
    html = client.get(QUEUE, {"requested_by": "2027-03-15"}).content.decode()
    assert soon.number_display in html
    assert far.number_display not in html and unasked.number_display not in html
    assert "requested Mon 2027-03-01" in html


def test_a_center_with_more_orders_than_the_queue_shows_says_so(client, monkeypatch):
    from autosales.backoffice import views_fulfillment

    monkeypatch.setattr(views_fulfillment, "SHOWN", 3)
    checkout = make_checkout(stock=50)
    orders = [_placed(checkout, at=clock.now() - dt.timedelta(minutes=10 - i)) for i in range(5)]
    client.force_login(make_staff(group="fulfillment"))
    html = client.get(QUEUE).content.decode()
    assert "More than 3 orders waiting (the oldest 3 are listed: narrow with the filters)." in html
    assert orders[2].number_display in html and orders[3].number_display not in html


def test_a_clerk_assigned_to_a_center_works_that_center_only(client):
    from autosales.fulfillment.models import CenterAssignment

    make_warehouse(code="EAST", priority=0)
    west = make_warehouse(code="WEST", priority=1)
    order = place_test_order(make_checkout())  # allocated at EAST
    clerk = make_staff(group="fulfillment")
    CenterAssignment.objects.create(user=clerk, warehouse=west)
    client.force_login(clerk)
    html = client.get(QUEUE).content.decode()
    assert "Ready to ship from WEST" in html and order.number_display not in html
    assert 'value="EAST"' not in html
    assert client.get(QUEUE, {"center": "EAST"}).status_code == 400
    response = client.get("/backoffice/fulfillment/pick-list.pdf", {"center": "EAST", "order": order.public_id})
    assert response.status_code == 302
