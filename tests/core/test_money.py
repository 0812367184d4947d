from decimal import Decimal

import pytest

from autosales.core.money import _EXPONENTS, MONEY_DECIMAL_PLACES, Money, minor_unit_exponent
from tests.factories import make_checkout, place_test_order


def test_money_adds_in_one_currency_and_formats():
    total = Money(Decimal("19.99"), "USD") + Money("0.01", "USD")
    assert total == Money(Decimal("20.00"), "USD")
    assert str(total) == "$20.00"


def test_money_refuses_floats_and_mixed_currencies():
    with pytest.raises(TypeError):
        Money(0.1, "USD")
    with pytest.raises(ValueError):
        Money("1", "USD") + Money("1", "EUR")


@pytest.mark.parametrize(
    ("amount", "currency", "rounded"),
    [
        ("1.2745", "KWD", "1.275"),
        ("0.0005", "BHD", "0.001"),
        ("10.1234", "JOD", "10.123"),
        ("1.005", "USD", "1.01"),
        ("1.004", "USD", "1.00"),
        ("12.5", "JPY", "13"),
    ],
)
def test_amounts_round_to_their_currencys_minor_unit(amount, currency, rounded):
    assert Money(amount, currency).rounded().amount.as_tuple() == Decimal(rounded).as_tuple()


def test_every_currency_fits_the_money_columns():
    assert all(exponent <= MONEY_DECIMAL_PLACES for exponent in _EXPONENTS.values())
    assert minor_unit_exponent("kwd") == 3
    assert minor_unit_exponent("EUR") == 2


@pytest.mark.django_db
def test_a_three_decimal_currency_order_keeps_its_fils(client, settings):
    # given a shop in Kuwaiti dinars: 1.275 KWD a unit, 0.750 KWD shipping
    settings.CURRENCY = "KWD"
    checkout = make_checkout(price="1.275")
    checkout.shipping_method.base_rate = Decimal("0.750")
    checkout.shipping_method.save()

    # when 3 units are ordered
    order = place_test_order(checkout, quantity=3)

    # then the stored amounts keep their three decimals
    order.refresh_from_db()
    assert (order.currency, order.subtotal, order.shipping, order.total) == (
        "KWD",
        Decimal("3.825"),
        Decimal("0.750"),
        Decimal("4.575"),
    )
    # and the API shows them with three decimals
    client.force_login(checkout.user)
    body = client.get(f"/api/v1/orders/{order.public_id}").json()
    assert body["total"] == {"amount": "4.575", "currency": "KWD"}
    assert body["lines"][0]["unit_price"] == {"amount": "1.275", "currency": "KWD"}


@pytest.mark.django_db
def test_a_usd_order_still_has_cents(client):
    # given
    checkout = make_checkout(price="9.99")

    # when
    order = place_test_order(checkout, quantity=3)

    # then
    order.refresh_from_db()
    assert order.total == Decimal("34.97")
    client.force_login(checkout.user)
    body = client.get(f"/api/v1/orders/{order.public_id}").json()
    assert body["total"] == {"amount": "34.97", "currency": "USD"}
    assert client.get("/api/v1/products").json()["items"][0]["price_from"] == {"amount": "9.99", "currency": "USD"}
