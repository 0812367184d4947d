from django.db import models
from django.db.models import F, Q
from django_countries.fields import CountryField

from autosales.catalog.models import Variant
from autosales.core.models import BaseModel


class Warehouse(BaseModel):
    """A distribution center that holds stock and ships orders."""

    code = models.CharField(max_length=16, unique=True)
    name = models.CharField(max_length=120)
    city = models.CharField(max_length=100, blank=True)
    region = models.CharField(max_length=100, blank=True)
    country = CountryField(default="US")
    is_active = models.BooleanField(default=True)
    priority = models.PositiveSmallIntegerField(default=0, help_text="Lower ships first")

    class Meta:
        ordering = ["priority", "code"]

    def __str__(self) -> str:
        return f"{self.code} — {self.name}"


class StockLevel(BaseModel):
    """Units of a variant in a warehouse; `allocated` are promised to orders not yet shipped."""

    warehouse = models.ForeignKey(Warehouse, on_delete=models.PROTECT, related_name="stock_levels")
    variant = models.ForeignKey(Variant, on_delete=models.CASCADE, related_name="stock_levels")
    on_hand = models.IntegerField(default=0)
    allocated = models.IntegerField(default=0)
    # Where the units sit in the warehouse (aisle-rack-shelf, as the center labels it); pick lists walk by it.
    bin = models.CharField("bin location", max_length=32, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["warehouse", "variant"], name="stock_unique_per_warehouse"),
            models.CheckConstraint(condition=Q(on_hand__gte=0), name="stock_on_hand_not_negative"),
            models.CheckConstraint(condition=Q(allocated__gte=0), name="stock_allocated_not_negative"),
            models.CheckConstraint(condition=Q(allocated__lte=F("on_hand")), name="stock_not_oversold"),
        ]

    def __str__(self) -> str:
        return f"{self.variant_id}@{self.warehouse_id}: {self.on_hand} on hand, {self.allocated} allocated"

    @property
    def available(self) -> int:
        return self.on_hand - self.allocated
