"""The demo stock: two distribution centers holding every demo variant, a few nearly gone and one sold out."""

from __future__ import annotations

import datetime as dt

from autosales.catalog.models import Variant
from autosales.core import clock
from autosales.demo.catalog_data import PRODUCTS, variant_specs
from autosales.inventory.models import ClosedDay, StockLevel, Warehouse

WAREHOUSES = [
    # code, name, city, region, priority
    ("CHI", "Chicago Distribution Center", "Chicago", "IL", 0),
    ("ATL", "Atlanta Distribution Center", "Atlanta", "GA", 1),
]
# Their shipping calendars: local zone, cut-off, public holidays of their state, and handling time. Chicago
# ships the same day until 2 pm; Atlanta, the overflow center, needs a working day to pick and pack.
CALENDARS = {
    "CHI": {
        "time_zone": "America/Chicago",
        "working_days": "12345",
        "cutoff_time": dt.time(14, 0),
        "holiday_country": "US",
        "holiday_subdivision": "IL",
        "handling_days": 0,
    },
    "ATL": {
        "time_zone": "America/New_York",
        "working_days": "12345",
        "cutoff_time": dt.time(15, 30),
        "holiday_country": "US",
        "holiday_subdivision": "GA",
        "handling_days": 1,
    },
}
# A center's own closed days: Chicago's yearly stock count, the Friday after Thanksgiving (the fourth Thursday).
STOCK_COUNT_REASON = "Yearly stock count"
# Stock that tells a story in the demo: a few SKUs are nearly gone, one is sold out everywhere.
LOW_STOCK = {"VIN-B11F-5W-27K-12": (3, 0), "LC-BR30TW-10W-TW-2": (2, 1), "BWI-UFO-200W-50K": (4, 0)}
OUT_OF_STOCK = "LC-GU10RGB-5W-TW-3"


def _stock_for(index: int, sku: str) -> tuple[int, int]:
    """Units on hand in (CHI, ATL): varied but the same on every machine."""
    if sku == OUT_OF_STOCK:
        return 0, 0
    if sku in LOW_STOCK:
        return LOW_STOCK[sku]
    return 120 + (index * 37) % 380, 40 + (index * 53) % 260


def _day_after_thanksgiving(year: int) -> dt.date:
    november_first = dt.date(year, 11, 1)
    first_thursday = november_first + dt.timedelta(days=(3 - november_first.weekday()) % 7)
    return first_thursday + dt.timedelta(weeks=3, days=1)


def _stock_count_days(warehouse: Warehouse) -> int:
    """The center is closed for its stock count this year and next; returns the rows created."""
    year = clock.today().year
    created = 0
    for day in (_day_after_thanksgiving(year), _day_after_thanksgiving(year + 1)):
        _, made = ClosedDay.objects.get_or_create(warehouse=warehouse, day=day, defaults={"reason": STOCK_COUNT_REASON})
        created += made
    return created


def demo_stock_load() -> int:
    """Both distribution centers exist and hold stock of every demo variant; returns the rows created."""
    created = 0
    warehouses = []
    for code, name, city, region, priority in WAREHOUSES:
        warehouse, was_created = Warehouse.objects.get_or_create(
            code=code,
            defaults={
                "name": name,
                "city": city,
                "region": region,
                "country": "US",
                "priority": priority,
                **CALENDARS[code],
            },
        )
        warehouses.append(warehouse)
        created += was_created
    created += _stock_count_days(warehouses[0])
    skus = [variant.sku for spec in PRODUCTS for variant in variant_specs(spec)]
    variants = {v.sku: v for v in Variant.objects.filter(sku__in=skus)}
    existing = set(
        StockLevel.objects.filter(variant__in=variants.values(), warehouse__in=warehouses).values_list(
            "warehouse_id", "variant_id"
        )
    )
    new_levels = []
    for index, sku in enumerate(skus):
        variant = variants[sku]
        for warehouse, on_hand in zip(warehouses, _stock_for(index, sku), strict=True):
            if (warehouse.pk, variant.pk) not in existing:
                new_levels.append(StockLevel(warehouse=warehouse, variant=variant, on_hand=on_hand))
    StockLevel.objects.bulk_create(new_levels)
    return created + len(new_levels)
