"""A customer email is written in its organization's language (else the shop's), read back from a real SMTP
server: words, money and dates."""

import datetime as dt
import io

import pytest
from django.test import override_settings
from pypdf import PdfReader

from autosales.billing.dunning import reminders_send
from autosales.billing.issuing import invoice_issue_for_order
from autosales.billing.statements import statements_send
from autosales.core import clock
from autosales.recurring.scheduler import runs_materialize, runs_place
from tests.factories import make_account_order, make_checkout, place_test_order, ship_test_order
from tests.recurring.conftest import make_standing_order

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


def _spanish_account_with_an_invoice():
    """A Spanish organization on 30-day terms, reminded on the due date, with an invoice of 2,505.00 issued on
    4 January 2027 (due 3 February)."""
    checkout = make_checkout(
        language="es", has_account_terms=True, credit_limit=100_000, reminder_days="0", billing_email="ap@es.example"
    )
    with clock.frozen_at(dt.datetime(2027, 1, 4, 12, tzinfo=dt.UTC)):
        order = make_account_order(organization=checkout.organization, quantity=2, unit_price="1250.00")
        invoice = invoice_issue_for_order(order=order)
    return checkout, invoice


@override_settings(TIME_ZONE="UTC")
def test_a_spanish_organization_gets_its_invoice_reminder_in_spanish(smtp_server):
    _checkout, invoice = _spanish_account_with_an_invoice()

    with clock.frozen_at(dt.datetime(2027, 2, 3, 9, tzinfo=dt.UTC)):
        reminders_send(today=dt.date(2027, 2, 3))
        delivered = smtp_server.deliver()
    [message] = [m for m in delivered if "vence hoy" in m["Subject"]]
    [invoice_email] = [m for m in delivered if m is not message]  # the invoice, delivered on the same pass

    assert message["Subject"] == f"Bright Bulbs Supply: la factura {invoice.number} vence hoy"
    plain, html = body_of(message, "plain"), body_of(message, "html")
    assert f"Nuestra factura {invoice.number} del Ene. 4, 2027 vence hoy: quedan 2.505,00\xa0US$ pendientes." in plain
    assert "Si ya la ha pagado, gracias, y no tenga en cuenta este correo." in plain
    assert f"Pagar o descargar la factura {invoice.number}" in html
    assert "is due" not in plain + html
    [pdf] = list(invoice_email.iter_attachments())  # made at delivery, in the organization's language too
    text = PdfReader(io.BytesIO(pdf.get_content())).pages[0].extract_text()
    assert "FACTURA" in text and "Importe pendiente" in text and "2.505,00" in text


@override_settings(TIME_ZONE="UTC")
def test_a_spanish_organization_gets_its_monthly_statement_in_spanish(smtp_server):
    _spanish_account_with_an_invoice()

    with clock.frozen_at(dt.datetime(2027, 2, 2, 9, tzinfo=dt.UTC)):
        statements_send(today=dt.date(2027, 2, 2))
        [message] = [m for m in smtp_server.deliver() if "extracto" in m["Subject"]]

    assert message["Subject"] == "Bright Bulbs Supply: su extracto de 2027-01"
    plain = body_of(message, "plain")
    assert "Saldo inicial: 0,00\xa0US$" in plain
    assert "Facturado: 2.505,00\xa0US$" in plain
    assert "Saldo final: 2.505,00\xa0US$" in plain
    assert "Opening balance" not in plain


@override_settings(TIME_ZONE="UTC")
def test_a_spanish_organization_learns_in_spanish_that_its_standing_orders_card_was_declined(smtp_server):
    # given a Spanish organization's monthly standing order on a card the bank declines, due on 1 February 2027
    checkout = make_checkout(language="es", stock=20_000, price="2.50")
    clock.set_now(dt.datetime(2027, 1, 25, 12, tzinfo=dt.UTC))
    try:
        make_standing_order(checkout, every=1, day=1, start=dt.date(2027, 2, 1), token="tok_decline", name="Almacén")
        clock.set_now(dt.datetime(2027, 2, 1, 12, tzinfo=dt.UTC))
        # when the scheduler tries to place it
        runs_materialize()
        runs_place()
        delivered = smtp_server.deliver()
    finally:
        clock.reset()

    # then the customer reads why and when it is tried again in Spanish
    [message] = [m for m in delivered if "no se ha podido realizar" in m["Subject"]]
    assert message["Subject"] == "El pago de su pedido periódico del Feb. 1 no se ha podido realizar"
    plain = body_of(message, "plain")
    assert 'No hemos podido realizar su pedido periódico "Almacén" del febrero 1, 2027:' in plain
    assert "Volveremos a intentarlo el " in plain
    assert "could not place" not in plain
