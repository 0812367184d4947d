"""Order history, detail, confirmation and cancel pages: a buyer sees the organization's orders only."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from autosales.inventory.models import StockLevel
from autosales.notifications.models import OutboxEmail
from autosales.orders.models import OrderStatus
from tests.factories import make_checkout, make_member, make_user, place_test_order

pytestmark = pytest.mark.django_db


def test_the_history_lists_the_organizations_orders_only(client):
    mine = make_checkout()
    first = place_test_order(mine)
    colleagues = place_test_order(mine, user=make_member(organization=mine.organization))
    theirs = place_test_order(make_checkout())
    client.force_login(mine.user)
    html = client.get("/orders/").content.decode()
    assert first.number_display in html and colleagues.number_display in html
    assert theirs.number_display not in html


def test_the_history_filters_by_status(client):
    checkout = make_checkout(has_account_terms=True, credit_limit="1000")
    paid = place_test_order(checkout)
    on_account = place_test_order(checkout, kind="account")
    client.force_login(checkout.user)
    html = client.get("/orders/?status=on_account").content.decode()
    assert on_account.number_display in html and paid.number_display not in html


def test_the_history_is_paginated(client):
    checkout = make_checkout(stock=100)
    orders = [place_test_order(checkout) for _ in range(21)]
    client.force_login(checkout.user)
    first_page = client.get("/orders/").content.decode()
    assert "Page 1 of 2" in first_page
    assert orders[0].number_display not in first_page
    assert orders[0].number_display in client.get("/orders/?page=2").content.decode()


def _history_queries(client, count: int) -> int:
    checkout = make_checkout(stock=100)
    for _ in range(count):
        place_test_order(checkout)
    client.force_login(checkout.user)
    with CaptureQueriesContext(connection) as queries:
        assert client.get("/orders/").status_code == 200
    client.logout()
    return len(queries)


def test_the_history_query_count_does_not_grow_with_the_orders(client):
    assert _history_queries(client, 3) == _history_queries(client, 18)


def test_the_detail_shows_status_lines_totals_address_and_events(client):
    checkout = make_checkout()
    order = place_test_order(checkout, quantity=2)
    client.force_login(checkout.user)
    html = client.get(f"/orders/{order.public_id}/").content.decode()
    for text in (order.number_display, "Paid", checkout.variant.sku, str(order.total_money), checkout.address.line1):
        assert text in html
    assert "Cancel this order" in html


def test_the_confirmation_page_shows_the_number(client):
    checkout = make_checkout()
    order = place_test_order(checkout)
    client.force_login(checkout.user)
    html = client.get(f"/orders/{order.public_id}/confirmation/").content.decode()
    assert f'id="confirmation-number" class="confirmation-number">{order.number_display}<' in html


@pytest.mark.parametrize("suffix", ["", "confirmation/"])
def test_another_organizations_order_is_a_404(client, suffix):
    theirs = place_test_order(make_checkout())
    client.force_login(make_checkout().user)
    assert client.get(f"/orders/{theirs.public_id}/{suffix}").status_code == 404


def test_another_organizations_order_cannot_be_cancelled(client):
    theirs = place_test_order(make_checkout())
    client.force_login(make_checkout().user)
    assert client.post(f"/orders/{theirs.public_id}/cancel/").status_code == 404
    theirs.refresh_from_db()
    assert theirs.status == OrderStatus.PAID


def test_the_order_pages_need_a_signed_in_member(client):
    order = place_test_order(make_checkout())
    assert client.get("/orders/")["Location"].startswith("/account/signin/")
    client.force_login(make_user())
    assert client.get("/orders/").status_code == 404
    assert client.get(f"/orders/{order.public_id}/").status_code == 404


def test_a_buyer_cancels_an_order_before_it_ships(client):
    checkout = make_checkout()
    order = place_test_order(checkout, quantity=2)
    client.force_login(checkout.user)
    response = client.post(f"/orders/{order.public_id}/cancel/", {"reason": "No longer needed"})
    assert response["Location"] == f"/orders/{order.public_id}/"
    order.refresh_from_db()
    assert order.status == OrderStatus.CANCELLED
    assert order.cancel_reason == "No longer needed"
    assert StockLevel.objects.get(variant=checkout.variant).allocated == 0
    assert OutboxEmail.objects.filter(template="orders/cancelled").exists()
    html = client.get(f"/orders/{order.public_id}/").content.decode()
    assert "Cancel this order" not in html
    # and a second cancel says why it cannot be
    again = client.post(f"/orders/{order.public_id}/cancel/")
    assert again.status_code == 409
    assert "can no longer be cancelled" in again.content.decode()
