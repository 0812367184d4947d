"""Shipping methods and their rates: flat, by weight or by quantity, free over a threshold."""

from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django_countries.fields import CountryField

from autosales.core.models import BaseModel
from autosales.core.money import CurrencyField, Money, MoneyField

GRAMS_PER_KG = Decimal(1000)


class ShippingMethod(BaseModel):
    """A way to deliver an order, configured by staff, with the rule that prices it."""

    class Kind(models.TextChoices):
        FLAT = "flat", "Flat rate"
        WEIGHT = "weight", "By weight"
        QUANTITY = "quantity", "By quantity"

    name = models.CharField(max_length=120)
    code = models.SlugField(max_length=40, unique=True)
    kind = models.CharField(max_length=16, choices=Kind.choices, default=Kind.FLAT)
    currency = CurrencyField()
    base_rate = MoneyField(default=0, help_text="Charged on every order using this method")
    rate_per_kg = MoneyField(default=0, help_text="By weight: added per kilogram (pro rata)")
    rate_per_item = MoneyField(default=0, help_text="By quantity: added per unit ordered")
    free_over = MoneyField(
        null=True, blank=True, help_text="Orders whose subtotal reaches this amount ship free; empty: never free"
    )
    countries = CountryField(multiple=True, blank=True, help_text="Where this method delivers; empty: everywhere")
    # Carrier working days (Monday to Friday) from the day it leaves the warehouse to the day it arrives.
    transit_days_min = models.PositiveSmallIntegerField(default=1, help_text="Fewest working days in transit")
    transit_days_max = models.PositiveSmallIntegerField(default=5, help_text="Most working days in transit")
    is_active = models.BooleanField(default=True)
    position = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["position", "name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(base_rate__gte=0) & Q(rate_per_kg__gte=0) & Q(rate_per_item__gte=0),
                name="shipping_rates_not_negative",
            ),
            models.CheckConstraint(
                condition=Q(free_over__isnull=True) | Q(free_over__gte=0), name="shipping_free_over_not_negative"
            ),
            models.CheckConstraint(
                condition=Q(transit_days_min__lte=models.F("transit_days_max")), name="shipping_transit_min_le_max"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        super().clean()
        if (
            self.transit_days_min is not None
            and self.transit_days_max is not None
            and self.transit_days_min > self.transit_days_max
        ):
            raise ValidationError({"transit_days_max": "Must be at least the fewest transit days."})

    def serves(self, country: str) -> bool:
        """Whether this method delivers to `country` (an ISO 3166 alpha-2 code)."""
        codes = {c.code for c in self.countries}
        return not codes or str(country).upper() in codes

    def rate_for(self, *, subtotal: Money, weight_grams: int, quantity: int) -> Money:
        """The shipping charge for an order of this subtotal, weight and number of units, rounded to the cent."""
        if subtotal.currency != self.currency:
            raise ValueError(f"shipping method {self.code} charges in {self.currency}, not {subtotal.currency}")
        if self.free_over is not None and subtotal.amount >= self.free_over:
            return Money.zero(self.currency)
        amount = Decimal(self.base_rate)
        if self.kind == self.Kind.WEIGHT:
            amount += Decimal(self.rate_per_kg) * Decimal(weight_grams) / GRAMS_PER_KG
        elif self.kind == self.Kind.QUANTITY:
            amount += Decimal(self.rate_per_item) * quantity
        return Money(amount, self.currency).rounded()
