"""Export products and stock levels as CSV, in the exact shape `catalog.imports` reads back.

Exporting, importing the file and exporting again gives the same file. The number of queries does not
depend on the size of the catalog (rows are streamed in chunks).
"""

from __future__ import annotations

import csv
import json
from typing import IO

from autosales.catalog.imports import ATTRIBUTE_PREFIX, PRODUCT_COLUMNS, STOCK_COLUMNS
from autosales.catalog.models import Variant
from autosales.core.money import quantize
from autosales.inventory.models import StockLevel
from autosales.pricing.models import Price, PriceList

CHUNK_SIZE = 2000


def _writer(stream: IO[str]):
    return csv.writer(stream, lineterminator="\n")


def _attribute_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False)


def products_export(*, stream: IO[str]) -> int:
    """Writes one row per variant (SKU) with its product, category, list price and attributes; returns the row count."""
    price_list = PriceList.objects.filter(is_default=True).first()
    prices: dict[int, str] = {}
    currency = ""
    if price_list is not None:
        currency = price_list.currency
        prices = {
            variant_id: str(quantize(amount, currency))
            for variant_id, amount in Price.objects.filter(price_list=price_list).values_list("variant_id", "amount")
        }
    attribute_names: set[str] = set()
    for attributes in Variant.objects.values_list("attributes", flat=True).iterator(chunk_size=CHUNK_SIZE):
        attribute_names.update((attributes or {}).keys())
    attributes_order = sorted(attribute_names)

    writer = _writer(stream)
    writer.writerow([*PRODUCT_COLUMNS, *(f"{ATTRIBUTE_PREFIX}{name}" for name in attributes_order)])
    variants = (
        Variant.objects.select_related("product__category")
        .order_by("product__slug", "position", "sku")
        .iterator(chunk_size=CHUNK_SIZE)
    )
    count = 0
    for variant in variants:
        product = variant.product
        attributes = variant.attributes or {}
        price = prices.get(variant.pk, "")
        values = {
            "sku": variant.sku,
            "product": product.name,
            "product_slug": product.slug,
            "category": product.category.name,
            "category_slug": product.category.slug,
            "variant_name": variant.name,
            "brand": product.brand,
            "description": product.description,
            "price": price,
            "currency": currency if price else "",
            "weight_grams": variant.weight_grams,
            "min_quantity": variant.min_quantity,
            "pack_size": variant.pack_size,
            "active": "true" if (variant.is_active and product.is_active) else "false",
            # Pictures are files, not cells: an empty cell leaves a product's pictures as they are on re-import.
            "image": "",
        }
        writer.writerow(
            [*(values[c] for c in PRODUCT_COLUMNS), *(_attribute_text(attributes.get(n)) for n in attributes_order)]
        )
        count += 1
    return count


def stock_export(*, stream: IO[str]) -> int:
    """Writes one row per stock level (SKU and warehouse code) with the units on hand; returns the row count."""
    writer = _writer(stream)
    writer.writerow(STOCK_COLUMNS)
    levels = (
        StockLevel.objects.order_by("variant__sku", "warehouse__code")
        .values_list("variant__sku", "warehouse__code", "on_hand")
        .iterator(chunk_size=CHUNK_SIZE)
    )
    count = 0
    for row in levels:
        writer.writerow(row)
        count += 1
    return count
