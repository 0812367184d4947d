from django.db import models
from django.db.models import Q

from autosales.catalog.models import Variant
from autosales.core.models import BaseModel
from autosales.core.money import CurrencyField, Money, MoneyField
from autosales.customers.models import Organization


class PriceList(BaseModel):
    """A set of prices. The default list holds list prices; others hold an organization's special prices."""

    name = models.CharField(max_length=120, unique=True)
    currency = CurrencyField()
    is_default = models.BooleanField(default=False)
    organizations = models.ManyToManyField(Organization, blank=True, related_name="price_lists")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["is_default"], condition=Q(is_default=True), name="one_default_price_list")
        ]

    def __str__(self) -> str:
        return self.name


class Price(BaseModel):
    price_list = models.ForeignKey(PriceList, on_delete=models.CASCADE, related_name="prices")
    variant = models.ForeignKey(Variant, on_delete=models.CASCADE, related_name="prices")
    amount = MoneyField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["price_list", "variant"], name="price_unique_per_list"),
            models.CheckConstraint(condition=Q(amount__gte=0), name="price_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.variant_id} {self.amount}"

    @property
    def money(self) -> Money:
        return Money(self.amount, self.price_list.currency)


# Shipping methods and tax rates live in their own modules; importing them here registers the models.
from autosales.pricing.shipping import ShippingMethod  # noqa: E402, F401
from autosales.pricing.tax import TaxRate  # noqa: E402, F401
