"""A customer email is written in its organization's language (else the shop's), read back from a real SMTP
server: words, money and dates."""

import datetime as dt

import pytest
from django.test import override_settings

from autosales.core import clock
from tests.factories import make_checkout, place_test_order, ship_test_order

pytestmark = pytest.mark.django_db

MARCH_3 = dt.datetime(2026, 3, 3, 9, 30, tzinfo=dt.UTC)


def body_of(message, subtype: str) -> str:
    return message.get_body(preferencelist=(subtype,)).get_content()


@override_settings(TIME_ZONE="UTC")
def test_a_spanish_organization_gets_its_order_confirmation_in_spanish(smtp_server):
    checkout = make_checkout(language="es", price="1500.00")
    with clock.frozen_at(MARCH_3):
        order = place_test_order(checkout)

    [message] = smtp_server.deliver()

    assert message["Subject"] == f"Bright Bulbs Supply: pedido {order.number_display} confirmado"
    plain, html = body_of(message, "plain"), body_of(message, "html")
    assert "Gracias por su pedido." in plain
    assert "Pedido realizado: marzo 3, 2026, 09:30 UTC" in plain
    assert "1.500,00\xa0US$ c/u = 1.500,00\xa0US$" in plain
    assert "Total: 1.505,00\xa0US$" in plain
    assert '<html lang="es">' in html
    assert "Dirección de entrega" in html
    assert "Thank you" not in plain + html


@override_settings(TIME_ZONE="UTC")
def test_without_a_language_of_its_own_the_email_is_in_the_shops(smtp_server, settings):
    settings.LANGUAGE_CODE = "es"
    checkout = make_checkout(price="1500.00")
    with clock.frozen_at(MARCH_3):
        place_test_order(checkout)

    [message] = smtp_server.deliver()

    assert "Gracias por su pedido." in body_of(message, "plain")


@override_settings(TIME_ZONE="UTC")
def test_an_english_organization_still_gets_the_english_email(smtp_server):
    checkout = make_checkout(price="1500.00")
    with clock.frozen_at(MARCH_3):
        place_test_order(checkout)

    [message] = smtp_server.deliver()

    plain = body_of(message, "plain")
    assert "Thank you for your order." in plain
    assert "Order placed: March 3, 2026, 09:30 UTC" in plain
    assert "Total: $1,505.00" in plain


def test_a_spanish_organization_gets_its_shipping_email_in_spanish(smtp_server):
    # given a Spanish organization's order of 5, 2 of them backordered
    checkout = make_checkout(language="es", stock=3, has_account_terms=True, credit_limit=100_000)
    order = place_test_order(checkout, quantity=5, kind="account", backorder=True)
    smtp_server.deliver()  # the order confirmation
    # when the 3 in stock ship
    ship_test_order(order, units=3)

    [message] = smtp_server.deliver()

    assert message["Subject"] == f"Bright Bulbs Supply: el pedido {order.number_display} ha salido (en parte)"
    plain, html = body_of(message, "plain"), body_of(message, "html")
    assert f"Parte de su pedido {order.number_display} está en camino." in plain
    assert "2 pendientes: se envían cuando llegue el stock" in plain
    assert "Parte de su pedido está en camino" in html
    assert "on its way" not in plain + html
