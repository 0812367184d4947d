"""The demo stock: two distribution centers holding every demo variant, a few nearly gone and one sold out."""

from __future__ import annotations

from autosales.catalog.models import Variant
from autosales.demo.catalog_data import PRODUCTS, variant_specs
from autosales.inventory.models import StockLevel, Warehouse

WAREHOUSES = [
    # code, name, city, region, priority
    ("CHI", "Chicago Distribution Center", "Chicago", "IL", 0),
    ("ATL", "Atlanta Distribution Center", "Atlanta", "GA", 1),
]
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


def demo_stock_load() -> int:
    """Both distribution centers exist and hold stock of every demo variant; returns the rows created."""
    created = 0
    warehouses = []
    for code, name, city, region, priority in WAREHOUSES:
        warehouse, was_created = Warehouse.objects.get_or_create(
            code=code, defaults={"name": name, "city": city, "region": region, "country": "US", "priority": priority}
        )
        warehouses.append(warehouse)
        created += was_created
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
