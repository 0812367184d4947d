"""GET /api/v1/orders, GET /api/v1/orders/{public_id}, POST /api/v1/orders/{public_id}/cancel."""

import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from autosales.inventory.models import StockLevel
from autosales.notifications.models import OutboxEmail
from autosales.orders.models import OrderStatus
from autosales.payments.models import TestGatewayCharge
from tests.factories import make_checkout, make_member, make_user, place_test_order

pytestmark = pytest.mark.django_db

URL = "/api/v1/orders"


def test_a_buyer_lists_the_organizations_orders_newest_first_and_no_others(client):
    # given two orders of the buyer's organization (one by a colleague) and one of another organization
    mine = make_checkout()
    first = place_test_order(mine)
    colleague = make_member(organization=mine.organization)
    second = place_test_order(mine, user=colleague)
    place_test_order(make_checkout())
    # when the buyer lists orders
    client.force_login(mine.user)
    body = client.get(URL).json()
    # then only their organization's two orders are there, newest first
    assert [o["public_id"] for o in body["items"]] == [second.public_id, first.public_id]
    assert body["count"] == 2
    assert body["items"][0]["placed_by"] == colleague.username


def test_orders_filter_by_status_and_search_by_number(client):
    checkout = make_checkout(has_account_terms=True, credit_limit="1000")
    paid = place_test_order(checkout)
    on_account = place_test_order(checkout, kind="account")
    client.force_login(checkout.user)
    assert [o["public_id"] for o in client.get(f"{URL}?status=on_account").json()["items"]] == [on_account.public_id]
    assert [o["public_id"] for o in client.get(f"{URL}?q={paid.number_display}").json()["items"]] == [paid.public_id]


def test_an_unknown_status_is_a_422_naming_it(client):
    checkout = make_checkout()
    client.force_login(checkout.user)
    response = client.get(f"{URL}?status=lost")
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "status"


def _list_queries(client, orders: int) -> int:
    checkout = make_checkout(stock=1000)
    for _ in range(orders):
        place_test_order(checkout)
    client.force_login(checkout.user)
    with CaptureQueriesContext(connection) as queries:
        assert len(client.get(f"{URL}?page_size=100").json()["items"]) == orders
    client.logout()
    return len(queries)


def test_the_list_query_count_does_not_grow_with_the_orders(client):
    assert _list_queries(client, 3) == _list_queries(client, 30)


def test_the_detail_has_lines_totals_address_and_events(client):
    checkout = make_checkout()
    order = place_test_order(checkout, quantity=2)
    client.force_login(checkout.user)
    body = client.get(f"{URL}/{order.public_id}").json()
    assert body["number"] == order.number_display
    assert body["lines"][0]["sku"] == checkout.variant.sku
    assert body["total"]["amount"] == str(order.total_money.rounded().amount)
    assert body["shipping_address"]["postal_code"] == checkout.address.postal_code
    assert body["events"][0]["kind"] == "created"
    assert body["can_cancel"] is True


def test_another_organizations_order_is_a_404_to_read_and_to_cancel(client):
    theirs = place_test_order(make_checkout())
    client.force_login(make_checkout().user)
    assert client.get(f"{URL}/{theirs.public_id}").status_code == 404
    response = client.post(
        f"{URL}/{theirs.public_id}/cancel", data=json.dumps({"reason": "mine now"}), content_type="application/json"
    )
    assert response.status_code == 404
    theirs.refresh_from_db()
    assert theirs.status == OrderStatus.PAID


def test_a_user_without_an_organization_has_no_orders(client):
    client.force_login(make_user())
    assert client.get(URL).status_code == 404


def test_cancel_releases_stock_refunds_the_card_and_sends_the_email(client):
    checkout = make_checkout()
    order = place_test_order(checkout, quantity=3)
    client.force_login(checkout.user)
    response = client.post(
        f"{URL}/{order.public_id}/cancel", data=json.dumps({"reason": "Ordered twice"}), content_type="application/json"
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["status"] == OrderStatus.CANCELLED
    assert body["cancel_reason"] == "Ordered twice"
    assert body["can_cancel"] is False
    assert StockLevel.objects.get(variant=checkout.variant).allocated == 0
    assert TestGatewayCharge.objects.get().status == TestGatewayCharge.Status.REFUNDED
    assert OutboxEmail.objects.filter(template="orders/cancelled").count() == 1
    # and cancelling again is a conflict that changes nothing
    again = client.post(
        f"{URL}/{order.public_id}/cancel", data=json.dumps({"reason": "again"}), content_type="application/json"
    )
    assert again.status_code == 409
    assert OutboxEmail.objects.filter(template="orders/cancelled").count() == 1


def test_cancel_needs_a_reason(client):
    checkout = make_checkout()
    order = place_test_order(checkout)
    client.force_login(checkout.user)
    response = client.post(
        f"{URL}/{order.public_id}/cancel", data=json.dumps({"reason": ""}), content_type="application/json"
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "reason"
    order.refresh_from_db()
    assert order.status == OrderStatus.PAID


def test_orders_need_a_signed_in_caller(client):
    assert client.get(URL).status_code == 401
