"""Sales tax rates by destination country and region."""

from decimal import Decimal

from django.db import models
from django.db.models import Q
from django_countries.fields import CountryField

from autosales.core.cache_versions import PRICES, cached_for_versions
from autosales.core.models import BaseModel
from autosales.core.money import Money

PERCENT = Decimal(100)


class TaxRate(BaseModel):
    """The tax charged on deliveries to a country, or to one region of it (a region's rate wins)."""

    name = models.CharField(max_length=120, help_text="Shown on orders and invoices, e.g. 'Illinois sales tax'")
    country = CountryField()
    region = models.CharField(
        "state / region", max_length=100, blank=True, help_text="Empty: the whole country (unless a region matches)"
    )
    rate_percent = models.DecimalField(max_digits=6, decimal_places=3, help_text="e.g. 6.250 for 6.25 %")
    applies_to_shipping = models.BooleanField(default=False)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["country", "region"]
        constraints = [
            models.UniqueConstraint(
                fields=["country", "region"], condition=Q(is_active=True), name="tax_rate_one_active_per_place"
            ),
            models.CheckConstraint(
                condition=Q(rate_percent__gte=0) & Q(rate_percent__lte=100), name="tax_rate_between_0_and_100"
            ),
        ]

    def __str__(self) -> str:
        place = f"{self.country.code}-{self.region}" if self.region else self.country.code
        return f"{self.name} ({place}, {self.rate_percent} %)"

    def tax_on(self, *, goods: Money, shipping: Money) -> Money:
        """The tax on these goods (and on shipping when the rate applies to it), rounded to the cent."""
        base = goods + shipping if self.applies_to_shipping else goods
        return Money(base.amount * Decimal(self.rate_percent) / PERCENT, base.currency).rounded()


def tax_rate_for(*, country: str, region: str = "") -> TaxRate | None:
    """The active rate for this destination: the region's own if it has one, else the country's, else None.

    A country's rates are shared through the cache until a rate is changed (the PRICES version: the tax-rate
    admin and the demo bump it)."""
    country = str(country).upper()
    rates = cached_for_versions(
        name="tax-rates",
        parts=(country,),
        kinds=(PRICES,),
        build=lambda: {
            rate.region.strip().upper(): rate for rate in TaxRate.objects.filter(country=country, is_active=True)
        },
    )
    return rates.get((region or "").strip().upper()) or rates.get("")
