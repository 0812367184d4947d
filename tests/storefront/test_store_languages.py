"""The store in the visitor's language: from the browser's Accept-Language or the footer's language form, words
translated and money and dates written the way the language writes them; English pages stay as they were, and the
back office and the API stay English whatever the browser asks for."""

import datetime as dt
import io
from decimal import Decimal

import pytest
from django.db import connection
from django.test import Client, override_settings
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation
from pypdf import PdfReader

from autosales.billing.issuing import invoice_issue_for_order
from autosales.core import clock
from autosales.core.money import Money, money_format
from autosales.customers.staff_roles import MANAGER
from autosales.pricing.models import Price, PriceList
from tests.factories import make_checkout, make_product, make_staff, place_test_order, ship_test_order
from tests.recurring.conftest import make_standing_order

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


def test_money_written_before_is_written_the_same_and_a_negative_zero_keeps_its_sign():
    # each amount is formatted once per process and language, then remembered: -0.00 equals 0.00 as a Decimal
    with translation.override("en-us"):
        assert [str(Money(Decimal(a), "USD")) for a in ("0", "-0.00", "0.000", "-0")] == ["$0.00", "-$0.00"] * 2
    with translation.override("es"):
        assert str(Money(Decimal("0"), "USD")) == "0,00\xa0US$"


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
    # the stock in words (the product's 16 units: in stock; each variant's 8: only a few left, up to 10), the
    # breadcrumbs and the order table too
    assert "En existencia" in listing and "Quedan pocas unidades" in page
    assert ">Inicio</a>" in page
    assert "Pedir varias variantes" in page and "Añadir al carrito" in page and "Cantidad de " in page
    for english in ("Only a few left", "Order several variants", ">Home</a>", "Add to cart"):
        assert english not in page, english
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


# --- the customer's account, orders, standing orders and invoices ---

JAN_25 = dt.datetime(2027, 1, 25, 18, 0, tzinfo=dt.UTC)  # a Monday


@pytest.fixture
def spanish_buyer(client):
    """A signed-in buyer on account terms, with a standing order of 1,000 bulbs every two months on the 31st."""
    clock.set_now(JAN_25)
    buyer = make_checkout(stock=20_000, price="1500.00", has_account_terms=True, credit_limit="100000")
    buyer.standing_order = make_standing_order(buyer, name="Bombillas")
    client.force_login(buyer.user)
    yield buyer
    clock.reset()


def test_a_spanish_customer_reads_the_account_pages_in_spanish(client, spanish_buyer):
    profile = client.get("/account/", **SPANISH).content.decode()
    organization = client.get("/account/organization/", **SPANISH).content.decode()

    assert "<h1>Su cuenta</h1>" in profile
    assert "Sus organizaciones" in profile and "Guardar perfil" in profile
    assert "Nombre:" in profile and "Apellidos:" in profile  # the profile form's labels
    assert "Empresa" in profile and "Comprador" in profile  # the organization's kind and the buyer's role
    assert "Miembros" in organization and "(usted)" in organization
    assert "su función: Comprador" in organization
    assert "Your account" not in profile and "Members" not in organization


@override_settings(TIME_ZONE="UTC")
def test_a_spanish_customer_reads_a_standing_order_in_spanish(client, spanish_buyer):
    so = spanish_buyer.standing_order
    client.post(f"/standing-orders/{so.public_id}/skip/", {"date": "2027-03-31"})

    page = client.get(f"/standing-orders/{so.public_id}/", **SPANISH).content.decode()
    listing = client.get("/standing-orders/", **SPANISH).content.decode()

    schedule = "Cada 2 meses, el día 31 (el último día en los meses más cortos), hasta nuevo aviso"
    assert schedule in page and schedule in listing
    assert 'id="so-status">Activo</span>' in page
    assert "Próximas fechas" in page and "Total estimado" in page
    assert "dom, Ene 31, 2027" in page and "Un domingo: no hay entregas ese día" in page  # dates by locale
    assert "1.500.005,00\xa0US$" in page  # 1,000 × 1,500.00 + shipping, money by locale
    assert "Omitido" in page and "Recuperar" in page  # the skipped date
    assert "Preaviso: 3 días antes de cada pedido" in page
    assert "Creado: " + schedule.removesuffix(", hasta nuevo aviso") in page  # the change log's sentences
    assert "Omitido el 2027-03-31" in page
    assert "Pedidos periódicos de" in listing and "Nuevo pedido periódico" in listing
    assert "Every 2 months" not in page + listing and "Next dates" not in page


def test_a_spanish_customer_sets_up_a_standing_order_on_a_spanish_form(client, spanish_buyer):
    form = client.get("/standing-orders/new/", **SPANISH).content.decode()
    refused = client.post(
        "/standing-orders/new/", {"sku": "NO-SUCH-SKU", "quantity": "5", "interval": "month"}, **SPANISH
    ).content.decode()

    assert "<h1>Nuevo pedido periódico</h1>" in form
    assert "Primera fecha" in form and "Preaviso (días antes de cada pedido)" in form
    assert '<option value="4">viernes</option>' in form  # the weekdays
    assert "No se ha guardado nada: corrija los campos marcados abajo." in refused
    assert "Ningún producto tiene el SKU &#x27;NO-SUCH-SKU&#x27;." in refused


@override_settings(TIME_ZONE="UTC")
def test_a_spanish_customer_reads_an_order_and_its_history_in_spanish(client, spanish_buyer):
    order = place_test_order(spanish_buyer, quantity=2, kind="account")
    ship_test_order(order, units=1)

    html = client.get(f"/orders/{order.public_id}/", **SPANISH).content.decode()

    assert '<strong class="order-status">Enviado en parte</strong>' in html
    assert "Pedido realizado a cuenta, total 3.005,00\xa0US$" in html
    assert "Confirmación enviada por correo a" in html
    assert f"Envío SH-{order.number_display}-1 enviado con ups, número de seguimiento 1Z999AA10123456784" in html
    assert "Estado: enviado en parte" in html
    assert "Ene 25, 2027, 18:00 UTC" in html
    assert "Por llegar" in html or "Envíos" in html
    assert "Order placed" not in html and "emailed to" not in html


@override_settings(TIME_ZONE="UTC")
def test_a_spanish_customer_reads_its_invoices_in_spanish(client, spanish_buyer):
    invoice = invoice_issue_for_order(order=place_test_order(spanish_buyer, quantity=2, kind="account"))

    page = client.get(f"/account/invoices/{invoice.public_id}/", **SPANISH).content.decode()
    listing = client.get("/account/invoices/", **SPANISH).content.decode()

    assert f"<h1>Factura {invoice.number}</h1>" in page
    assert "Emitida el Ene. 25, 2027" in page and "vence el Feb. 24, 2027" in page
    assert "<strong>Pendiente</strong>" in page
    assert "Pendiente de pago" in page and "3.005,00\xa0US$" in page
    assert "Facturas de" in listing and "Crédito disponible" in listing and "96.995,00\xa0US$" in listing
    assert "Issued" not in page and "Available credit" not in listing

    pdf = client.get(f"/account/invoices/{invoice.public_id}/pdf/", **SPANISH)
    text = PdfReader(io.BytesIO(pdf.content)).pages[0].extract_text()
    assert "FACTURA" in text and "Importe pendiente" in text and "3.005,00" in text
    assert f"Le rogamos que pague antes del Feb. 24, 2027, indicando {invoice.number}." in text


def test_the_back_office_stays_english_for_a_spanish_browser(client, spanish_buyer):
    client.force_login(make_staff(group=MANAGER))

    html = client.get(f"/backoffice/standing-orders/{spanish_buyer.standing_order.public_id}/", **SPANISH)

    text = html.content.decode()
    assert html.status_code == 200
    assert "Next dates" in text and 'id="so-status">Active</span>' in text
    assert "Every 2 months on the 31st" in text
    assert "Próximas fechas" not in text and "Activo" not in text


def test_the_api_keeps_english_status_labels_for_a_spanish_client(client, spanish_buyer):
    order = place_test_order(spanish_buyer, kind="account")

    body = client.get(f"/api/v1/orders/{order.public_id}", **SPANISH).json()

    assert body["status_label"] == "On account"


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
