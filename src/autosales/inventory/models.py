import datetime as dt

import holidays
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q
from django_countries.fields import CountryField

from autosales.catalog.models import Variant
from autosales.core.models import BaseModel
from autosales.core.timezones import validate_zone_name

WEEKDAY_NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def working_days_clean(value: str) -> str:
    """Working days as stored: ISO weekday digits 1 (Monday) to 7 (Sunday), sorted, e.g. "12345"."""
    digits = "".join(sorted(set(str(value or "").replace(",", "").replace(" ", ""))))
    if any(c not in "1234567" for c in digits):
        raise ValidationError(
            "Working days: give ISO weekday numbers 1 (Monday) to 7 (Sunday), e.g. 12345 for Monday to Friday.",
            code="invalid_working_days",
        )
    return digits


def validate_working_days(value: str) -> None:
    working_days_clean(value)


def validate_holiday_country(value: str) -> None:
    """The country (ISO alpha-2) is one the `holidays` package knows; blank means no public holidays."""
    if not value:
        return
    if value.upper() not in holidays.list_supported_countries():
        raise ValidationError(f"No public-holiday calendar for the country {value!r}.", code="invalid_country")


class Warehouse(BaseModel):
    """A distribution center that holds stock and ships orders."""

    code = models.CharField(max_length=16, unique=True)
    name = models.CharField(max_length=120)
    city = models.CharField(max_length=100, blank=True)
    region = models.CharField(max_length=100, blank=True)
    country = CountryField(default="US")
    is_active = models.BooleanField(default=True)
    priority = models.PositiveSmallIntegerField(default=0, help_text="Lower ships first")
    # Its shipping calendar (see inventory/delivery_dates.py): when an order placed now leaves the building.
    time_zone = models.CharField(
        max_length=64, blank=True, validators=[validate_zone_name], help_text="IANA zone; empty: the shop's zone"
    )
    working_days = models.CharField(
        max_length=7,
        default="12345",
        validators=[validate_working_days],
        help_text="ISO weekdays it ships on: 1 Monday … 7 Sunday; 12345 is Monday to Friday",
    )
    cutoff_time = models.TimeField(
        "cut-off time", default=dt.time(14, 0), help_text="Local time: orders placed before it count for that day"
    )
    holiday_country = models.CharField(
        max_length=2,
        blank=True,
        validators=[validate_holiday_country],
        help_text="Public holidays of this country (ISO alpha-2) are closed days; empty: none",
    )
    holiday_subdivision = models.CharField(
        max_length=10, blank=True, help_text="State or province for regional holidays, e.g. IL"
    )
    handling_days = models.PositiveSmallIntegerField(
        default=0, help_text="Working days between the order day and the ship day; 0 ships the same day"
    )

    class Meta:
        ordering = ["priority", "code"]

    def __str__(self) -> str:
        return f"{self.code} — {self.name}"

    def clean(self) -> None:
        super().clean()
        self.working_days = working_days_clean(self.working_days)
        self.holiday_country = (self.holiday_country or "").upper()
        self.holiday_subdivision = (self.holiday_subdivision or "").upper()
        if self.holiday_subdivision and not self.holiday_country:
            raise ValidationError({"holiday_subdivision": "Give the holiday country too."})
        if self.holiday_country and self.holiday_subdivision:
            known = holidays.list_supported_countries().get(self.holiday_country, [])
            if self.holiday_subdivision not in known:
                raise ValidationError(
                    {
                        "holiday_subdivision": f"{self.holiday_country} has no subdivision "
                        f"{self.holiday_subdivision!r} for holidays."
                    }
                )

    @property
    def working_days_display(self) -> str:
        return ", ".join(WEEKDAY_NAMES[int(d) - 1] for d in self.working_days) or "none"


class ClosedDay(BaseModel):
    """A day one distribution center does not ship (inventory, a local holiday), besides its public holidays."""

    warehouse = models.ForeignKey(Warehouse, on_delete=models.CASCADE, related_name="closed_days")
    day = models.DateField()
    reason = models.CharField(max_length=120, blank=True)

    class Meta:
        ordering = ["day"]
        constraints = [models.UniqueConstraint(fields=["warehouse", "day"], name="closed_day_once_per_warehouse")]

    def __str__(self) -> str:
        return f"{self.warehouse_id} closed {self.day}"


class StockLevel(BaseModel):
    """Units of a variant in a warehouse; `allocated` are promised to orders not yet shipped."""

    warehouse = models.ForeignKey(Warehouse, on_delete=models.PROTECT, related_name="stock_levels")
    variant = models.ForeignKey(Variant, on_delete=models.CASCADE, related_name="stock_levels")
    on_hand = models.IntegerField(default=0)
    allocated = models.IntegerField(default=0)

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
