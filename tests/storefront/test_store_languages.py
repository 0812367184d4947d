"""The store in the visitor's language: from the browser's Accept-Language or the footer's language form, words
translated and money and dates written the way the language writes them; English pages stay as they were."""

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.test import Client, override_settings
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation

from autosales.core import clock
from autosales.core.money import Money, money_format
from autosales.pricing.models import Price, PriceList
from tests.factories import make_checkout, make_product, place_test_order

pytestmark = pytest.mark.django_db

SPANISH = {"HTTP_ACCEPT_LANGUAGE": "es-ES,es;q=0.9"}


def test_a_spanish_browser_gets_the_cart_in_spanish_with_spanish_money(client):
    # given a cart holding 2 units at 1,234.25
    variant = make_product(price="1234.25", stock=8).variants.get()
    client.post("/cart/add/", {"sku": variant.sku, "quantity": "2"})
    # when a browser that prefers Spanish opens the cart
    html = client.get("/cart/", **SPANISH).content.decode()
    # then its words, its money and the page's language are Spanish
    assert '<html lang="es">' in html
    assert "Su carrito" in html
    assert "Carrito (2)" in html
    assert "Subtotal (2 artículos)" in html
    assert "2.468,50\xa0US$" in html
    assert "Your cart" not in html
    assert "$2,468.50" not in html


def test_the_spanish_cart_takes_as_many_queries_as_the_english_one(client):
    variant = make_product(price="4.25", stock=8).variants.get()
    client.post("/cart/add/", {"sku": variant.sku, "quantity": "2"})
    client.get("/cart/")  # warm the shared caches (catalog, settings), kept per language
    client.get("/cart/", **SPANISH)
    with CaptureQueriesContext(connection) as english:
        client.get("/cart/")
    with CaptureQueriesContext(connection) as spanish:
        client.get("/cart/", **SPANISH)
    assert len(spanish) == len(english)


def test_the_cached_featured_products_follow_the_visitors_language(client):
    # given the home page's featured products, cached after an English visit
    make_product(price="1234.25", stock=8, is_featured=True)
    assert "$1,234.25" in client.get("/").content.decode()
    # when a Spanish browser opens the home page, then its prices are Spanish, not the cached English ones
    html = client.get("/", **SPANISH).content.decode()
    assert "1.234,25\xa0US$" in html
    assert "$1,234.25" not in html


def test_without_a_preference_the_cart_is_in_english_as_before(client):
    variant = make_product(price="1234.25", stock=8).variants.get()
    client.post("/cart/add/", {"sku": variant.sku, "quantity": "2"})
    html = client.get("/cart/").content.decode()
    assert '<html lang="en">' in html
    assert "Your cart" in html
    assert "Subtotal (2 items)" in html
    assert "$2,468.50" in html


def test_the_footer_form_switches_the_language_and_it_stays():
    # (a client that checks CSRF tokens, as a browser's post is checked: the form carries none, see urls.py)
    client = Client(enforce_csrf_checks=True)
    # given an English visitor on the home page, which offers the language form in its footer
    home = client.get("/").content.decode()
    assert 'action="/i18n/setlang/"' in home
    assert '<option value="es"' in home
    # when they choose Spanish (a plain form post, no script)
    response = client.post("/i18n/setlang/", {"language": "es", "next": "/cart/"})
    # then they are sent back where they were, and the store reads in Spanish from then on
    assert response.status_code == 302
    assert response["Location"] == "/cart/"
    html = client.get("/").content.decode()
    assert "Comprar por categoría" in html
    assert '<option value="es" selected' in html


def test_the_footer_form_refuses_a_language_the_store_does_not_have(client):
    client.post("/i18n/setlang/", {"language": "xx", "next": "/"})
    assert "Shop by category" in client.get("/").content.decode()


@override_settings(TIME_ZONE="UTC")
def test_the_confirmation_page_in_spanish_has_spanish_dates_and_money(client):
    # given an order placed on 3 March 2026 for 1 unit at 1,500.00
    checkout = make_checkout(price="1500.00")
    with clock.frozen_at(dt.datetime(2026, 3, 3, 9, 30, tzinfo=dt.UTC)):
        order = place_test_order(checkout)
    client.force_login(checkout.user)
    # when its buyer reads the confirmation page in Spanish
    html = client.get(f"/orders/{order.public_id}/confirmation/", **SPANISH).content.decode()
    # then the words, the date and the amounts are Spanish
    assert "Gracias por su pedido" in html
    assert f'class="confirmation-number">{order.number_display}</strong>' in html
    assert "realizado el Mar 3, 2026, 09:30 UTC" in html
    assert "1.500,00\xa0US$" in html
    assert "Precio unitario" in html


@pytest.mark.parametrize(
    ("language", "money", "written"),
    [
        ("en-us", Money(Decimal("1234.5"), "USD"), "$1,234.50"),
        ("en-us", Money(Decimal("-13.99"), "USD"), "-$13.99"),
        ("en-us", Money(Decimal("1000"), "JPY"), "¥1,000"),
        ("en-us", Money(Decimal("4.575"), "KWD"), "KWD\xa04.575"),
        ("es", Money(Decimal("1234.5"), "USD"), "1.234,50\xa0US$"),
        ("es", Money(Decimal("13.99"), "EUR"), "13,99\xa0€"),
        ("es", Money(Decimal("4.575"), "KWD"), "4,575\xa0KWD"),
    ],
)
def test_money_is_written_the_way_the_active_language_writes_it(language, money, written):
    with translation.override(language):
        assert str(money) == written
    assert money_format(money, locale=translation.to_locale(language)) == written


def test_a_category_and_a_product_page_in_spanish(client):
    # given a category with a product of two variants at 4.25 and 6.50
    product = make_product(price="4.25", variants=2, stock=8)
    second = product.variants.order_by("position").last()
    Price.objects.filter(variant=second).update(amount=Decimal("6.50"))
    # when a Spanish browser opens its category and the product
    listing = client.get(f"/c/{product.category.slug}/", **SPANISH).content.decode()
    page = client.get(f"/p/{product.slug}/", **SPANISH).content.decode()
    # then the listing and the product read in Spanish, prices included
    assert "1 producto" in listing
    assert "desde 4,25\xa0US$" in listing
    assert "2 variantes" in listing
    assert "Variantes" in page and "Disponibilidad" in page
    assert "6,50\xa0US$" in page


def test_the_checkout_steps_in_spanish(client):
    checkout = make_checkout(price="4.25")
    client.force_login(checkout.user)
    client.post("/cart/add/", {"sku": checkout.variant.sku, "quantity": "2"})

    html = client.get(reverse("storefront:checkout_address"), **SPANISH).content.decode()

    assert "<h1>Pago</h1>" in html
    assert "Dirección" in html and "Revisión" in html
    assert "Continuar con el envío" in html
    assert "8,50\xa0US$" in html  # the cart beside the form


def test_packs_minimums_and_contract_prices_in_spanish(client):
    # given a business buyer with a contract price on a variant sold in packs of 12, at least 24
    checkout = make_checkout(price="13.99", stock=100)
    checkout.variant.pack_size, checkout.variant.min_quantity = 12, 24
    checkout.variant.save()
    special = PriceList.objects.create(name="Contract", currency="USD")
    special.organizations.add(checkout.organization)
    Price.objects.create(price_list=special, variant=checkout.variant, amount=Decimal("11.89"))
    client.force_login(checkout.user)
    # when a Spanish browser opens the product and asks for 30
    page = client.get(f"/p/{checkout.product.slug}/", **SPANISH).content.decode()
    refused = client.post("/cart/add/", {"sku": checkout.variant.sku, "quantity": "30"}, **SPANISH)
    # then how it is sold, the two prices and the refusal read in Spanish
    assert "Se vende en paquetes de 12 · Pedido mínimo: 24" in page
    assert "precio de lista <s>13,99\xa0US$</s>" in page and "su precio <strong>11,89\xa0US$</strong>" in page
    assert refused.status_code == 400
    assert f"{checkout.variant.sku} se vende en paquetes de 12: 24 o 36, no 30." in refused.content.decode()
