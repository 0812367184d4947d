"""The store says when an order ships and arrives: the product page, the cart, each shipping method at checkout;
a business customer asks for a later date at checkout and finds it on the order page and in the email."""

import datetime as dt
import re

import pytest

from autosales.core import clock
from autosales.inventory.models import StockLevel, Warehouse
from autosales.notifications.delivery import outbox_deliver_pass
from autosales.notifications.models import OutboxEmail
from autosales.orders.models import Order
from tests.factories import make_checkout, make_product, make_shipping_method

pytestmark = pytest.mark.django_db

# Tuesday March 2 2027, 11:46 in Chicago: 2 h 14 min before the 14:00 cut-off.
TUESDAY = dt.datetime(2027, 3, 2, 17, 46, tzinfo=dt.UTC)


@pytest.fixture
def shop():
    checkout = make_checkout(has_account_terms=True, credit_limit="100000.00")
    Warehouse.objects.update(
        time_zone="America/Chicago", working_days="12345", cutoff_time=dt.time(14, 0), holiday_country="US"
    )
    method = checkout.shipping_method
    method.transit_days_min, method.transit_days_max = 1, 3
    method.save()
    # a dearer, faster method: the product page and the cart quote the cheapest
    make_shipping_method(code="express", name="Express", base_rate="25.00", transit_days_min=1, transit_days_max=1)
    return checkout


def test_the_product_page_and_the_cart_say_when_it_ships_and_arrives(client, shop):
    client.force_login(shop.user)
    with clock.frozen_at(TUESDAY):
        product_page = client.get(f"/p/{shop.product.slug}/").content.decode()
        client.post("/cart/add/", {"sku": shop.variant.sku, "quantity": "2"})
        cart_page = client.get("/cart/").content.decode()
    for html in (product_page, cart_page):
        assert "Ships today if ordered within 2 h 14 min" in html
        assert "Arrives Wed, Mar 3 – Fri, Mar 5" in html
        assert f"by {shop.shipping_method.name}" in html


def test_after_the_cut_off_the_page_says_the_day_it_ships_and_a_sold_out_product_ships_when_back(client, shop):
    sold_out = make_product(stock=0)
    with clock.frozen_at(TUESDAY + dt.timedelta(hours=3)):
        later = client.get(f"/p/{shop.product.slug}/").content.decode()
        gone = client.get(f"/p/{sold_out.slug}/").content.decode()
    assert "Ships tomorrow" in later and "Arrives Thu, Mar 4 – Mon, Mar 8" in later
    assert "Ships when back in stock" in gone and "Arrives" not in gone


def test_checkout_shows_each_methods_dates_and_keeps_a_later_requested_date(client, shop, smtp_server):
    client.force_login(shop.user)
    with clock.frozen_at(TUESDAY):
        client.post("/cart/add/", {"sku": shop.variant.sku, "quantity": "2"})
        client.post("/checkout/address/", {"address": shop.address.public_id})
        shipping = client.get("/checkout/shipping/").content.decode()
        client.post("/checkout/shipping/", {"shipping_method": shop.shipping_method.code})
        payment = {"kind": "account", "payment_token": "", "customer_reference": ""}
        too_early = client.post("/checkout/payment/", {**payment, "requested_delivery_date": "2027-03-04"})
        accepted = client.post("/checkout/payment/", {**payment, "requested_delivery_date": "2027-03-19"})
        review = client.get("/checkout/review/")
        confirm = re.search(r'name="confirm" value="([^"]+)"', review.content.decode()).group(1)
        placed = client.post("/checkout/confirm/", {"confirm": confirm})

    # each method with its own window
    assert "Arrives Wed, Mar 3 – Fri, Mar 5" in shipping and "Arrives Wed, Mar 3<" in shipping
    # a date earlier than possible is refused on the form, naming the field and the earliest date
    assert too_early.status_code == 400
    assert "Requested delivery date: the earliest we can promise is Fri, Mar 5, 2027" in too_early.content.decode()
    assert accepted.status_code == 302
    assert "Requested delivery date: Fri, Mar 19, 2027" in review.content.decode()
    assert placed.status_code == 302
    order = Order.objects.get()
    assert order.requested_delivery_date == dt.date(2027, 3, 19) and order.ships_on == dt.date(2027, 3, 16)
    order_page = client.get(order.get_absolute_url()).content.decode()
    assert "Requested delivery date: Fri, Mar 19, 2027" in order_page and "Ships Tue, Mar 16, 2027" in order_page
    with clock.frozen_at(TUESDAY + dt.timedelta(minutes=1)):
        outbox_deliver_pass()  # rendered as it is delivered
    email = OutboxEmail.objects.get(template__contains="confirmation")
    assert "Requested delivery date: Fri, Mar 19, 2027" in email.body_text
    assert f"Ships: Tue, Mar 16, 2027 · Arrives: {order.arrival_window_display}" in email.body_text
    assert "Requested delivery date" in email.body_html


def test_a_customer_without_account_terms_is_not_offered_a_date(client):
    checkout = make_checkout()
    client.force_login(checkout.user)
    client.post("/cart/add/", {"sku": checkout.variant.sku, "quantity": "1"})
    client.post("/checkout/address/", {"address": checkout.address.public_id})
    client.post("/checkout/shipping/", {"shipping_method": checkout.shipping_method.code})
    assert "requested_delivery_date" not in client.get("/checkout/payment/").content.decode()
    refused = client.post(
        "/checkout/payment/",
        {"kind": "card", "payment_token": "tok_approve", "requested_delivery_date": "2030-01-04"},
    )
    assert refused.status_code == 400
    assert StockLevel.objects.get(variant=checkout.variant).allocated == 0


def test_a_product_page_seen_again_later_says_the_promise_of_that_moment(client, shop):
    # the page's fixed parts are kept rendered between the two visits; its promise is not
    url = f"/p/{shop.product.slug}/"
    with clock.frozen_at(TUESDAY):
        before = client.get(url).content.decode()
    with clock.frozen_at(TUESDAY + dt.timedelta(hours=3)):
        after = client.get(url).content.decode()
    assert "Ships today if ordered within 2 h 14 min" in before
    assert "Ships tomorrow" in after and "Ships today" not in after


def test_a_spanish_shopper_reads_the_promise_in_spanish(client, shop):
    client.force_login(shop.user)
    with clock.frozen_at(TUESDAY):
        page = client.get(f"/p/{shop.product.slug}/", HTTP_ACCEPT_LANGUAGE="es").content.decode()
    with clock.frozen_at(TUESDAY + dt.timedelta(hours=3)):
        tomorrow = client.get(f"/p/{shop.product.slug}/", HTTP_ACCEPT_LANGUAGE="es").content.decode()
    assert "Se envía hoy si lo pide en menos de 2 h 14 min" in page
    assert "Llega entre el mié, Mar 3 y el vie, Mar 5" in page
    assert f"por {shop.shipping_method.name}" in page
    assert "Se envía mañana" in tomorrow
    assert "Ships" not in page + tomorrow and "Arrives" not in page + tomorrow
