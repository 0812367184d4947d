"""Money is a Decimal amount with an ISO 4217 currency, never a float."""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from babel import Locale
from babel.numbers import format_currency
from django.conf import settings
from django.db import models
from django.utils import translation

# Decimal places of each currency's minor unit (ISO 4217), for the currencies without two.
_EXPONENTS = {
    **dict.fromkeys(("BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND"), 3),
    **dict.fromkeys(
        (
            "BIF",
            "CLP",
            "DJF",
            "GNF",
            "ISK",
            "JPY",
            "KMF",
            "KRW",
            "PYG",
            "RWF",
            "UGX",
            "VND",
            "VUV",
            "XAF",
            "XOF",
            "XPF",
        ),
        0,
    ),
}

# Every money column: room for the currencies with three decimals (KWD, BHD, JOD, ...), twelve digits before the
# point. Amounts are rounded to their own currency's minor unit (`quantize`), so USD still holds whole cents.
MONEY_DECIMAL_PLACES = 3
MONEY_MAX_DIGITS = 12 + MONEY_DECIMAL_PLACES


def default_currency() -> str:
    return settings.CURRENCY


def minor_unit_exponent(currency: str) -> int:
    """How many decimals the currency's amounts have: 2 for USD, 3 for KWD, 0 for JPY."""
    return _EXPONENTS.get(currency.upper(), 2)


def quantize(amount: Decimal, currency: str) -> Decimal:
    """The amount rounded (half up) to the currency's minor unit."""
    return amount.quantize(Decimal(1).scaleb(-minor_unit_exponent(currency)), rounding=ROUND_HALF_UP)


@dataclass(frozen=True, slots=True)
class Money:
    amount: Decimal
    currency: str

    def __post_init__(self):
        if isinstance(self.amount, float):
            raise TypeError("Money needs a Decimal or str amount, never a float")
        try:
            amount = Decimal(self.amount)
        except (InvalidOperation, TypeError) as exc:
            raise ValueError(f"not an amount: {self.amount!r}") from exc
        if len(self.currency) != 3 or not self.currency.isalpha():
            raise ValueError(f"not an ISO 4217 currency code: {self.currency!r}")
        object.__setattr__(self, "amount", amount)
        object.__setattr__(self, "currency", self.currency.upper())

    @classmethod
    def zero(cls, currency: str | None = None) -> Money:
        return cls(Decimal("0"), currency or default_currency())

    def _same(self, other: Money) -> None:
        if not isinstance(other, Money):
            raise TypeError(f"cannot combine Money with {type(other).__name__}")
        if other.currency != self.currency:
            raise ValueError(f"cannot combine {self.currency} with {other.currency}")

    def __add__(self, other: Money) -> Money:
        self._same(other)
        return Money(self.amount + other.amount, self.currency)

    def __sub__(self, other: Money) -> Money:
        self._same(other)
        return Money(self.amount - other.amount, self.currency)

    def __mul__(self, factor: int | Decimal) -> Money:
        if isinstance(factor, float):
            raise TypeError("multiply Money by an int or a Decimal, never a float")
        return Money(self.amount * factor, self.currency)

    __rmul__ = __mul__

    def __neg__(self) -> Money:
        return Money(-self.amount, self.currency)

    def __lt__(self, other: Money) -> bool:
        self._same(other)
        return self.amount < other.amount

    def __le__(self, other: Money) -> bool:
        self._same(other)
        return self.amount <= other.amount

    def __gt__(self, other: Money) -> bool:
        self._same(other)
        return self.amount > other.amount

    def __ge__(self, other: Money) -> bool:
        self._same(other)
        return self.amount >= other.amount

    def __bool__(self) -> bool:
        return bool(self.amount)

    def rounded(self) -> Money:
        return Money(quantize(self.amount, self.currency), self.currency)

    def __str__(self) -> str:
        """The amount as the active language writes it ("$1,234.50" in English, "1234,50 US$" in Spanish)."""
        return money_format(self)


@functools.cache
def _currency_pattern(locale: str, exponent: int) -> str:
    # The locale's own currency pattern, with as many decimals as the currency's minor unit (our table, not CLDR's).
    decimals = "." + "0" * exponent if exponent else ""
    return re.sub(r"0\.0+", "0" + decimals, Locale.parse(locale).currency_formats["standard"].pattern)


def money_format(money: Money, *, locale: str | None = None) -> str:
    """The one way money is written for people: Babel's currency format of `locale` (default: the active language)."""
    locale = locale or translation.to_locale(translation.get_language() or settings.LANGUAGE_CODE)
    return _formatted(str(quantize(money.amount, money.currency)), money.currency, locale)


@functools.lru_cache(maxsize=4096)
def _formatted(amount: str, currency: str, locale: str) -> str:
    # Remembered per amount as written (a page shows the same prices again and again; Babel takes longer than the
    # rest of a price's rendering): the string keeps -0.00 apart from 0.00, which compare equal as Decimals.
    pattern = _currency_pattern(locale, minor_unit_exponent(currency))
    text = format_currency(Decimal(amount), currency, format=pattern, locale=locale, currency_digits=False)
    # CLDR's currency spacing, which Babel leaves out: a code without a symbol does not touch the digits ("CHF 13.99").
    return _CODE_BESIDE_DIGIT.sub("\u00a0", text)


_CODE_BESIDE_DIGIT = re.compile(r"(?<=[A-Z]{3})(?=\d)|(?<=\d)(?=[A-Z]{3})")


class MoneyField(models.DecimalField):
    """A Decimal column sized for money; the currency lives in a sibling column."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("max_digits", MONEY_MAX_DIGITS)
        kwargs.setdefault("decimal_places", MONEY_DECIMAL_PLACES)
        super().__init__(*args, **kwargs)


class CurrencyField(models.CharField):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("max_length", 3)
        kwargs.setdefault("default", default_currency)
        super().__init__(*args, **kwargs)
