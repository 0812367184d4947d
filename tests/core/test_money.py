from decimal import Decimal

import pytest

from autosales.core.money import Money


def test_money_adds_in_one_currency_and_formats():
    total = Money(Decimal("19.99"), "USD") + Money("0.01", "USD")
    assert total == Money(Decimal("20.00"), "USD")
    assert str(total) == "$20.00"


def test_money_refuses_floats_and_mixed_currencies():
    with pytest.raises(TypeError):
        Money(0.1, "USD")
    with pytest.raises(ValueError):
        Money("1", "USD") + Money("1", "EUR")
