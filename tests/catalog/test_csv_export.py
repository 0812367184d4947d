import csv
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from autosales.catalog.exports import products_export, stock_export
from autosales.catalog.imports import products_import, stock_import
from autosales.catalog.models import Category, Product, Variant
from autosales.demo.data import demo_load
from autosales.inventory.models import StockLevel
from autosales.pricing.models import Price
from autosales.recurring.models import StandingOrder
from tests.factories import make_category, make_product, make_warehouse

pytestmark = pytest.mark.django_db


def export_text(service=products_export) -> str:
    out = StringIO()
    service(stream=out)
    return out.getvalue()


def catalog_clear() -> None:
    """An empty catalog: what refers to variants goes first (the demo's standing orders protect theirs)."""
    StandingOrder.objects.all().delete()
    StockLevel.objects.all().delete()
    Price.objects.all().delete()
    Variant.objects.all().delete()
    Product.objects.all().delete()
    Category.objects.all().delete()


def test_export_writes_one_row_per_variant_with_price_and_attributes():
    # given
    category = make_category(name="Candelabra", slug="candelabra")
    product = make_product(name="B11 Candle", slug="b11-candle", category=category, brand="Vintra", price="13.5")
    variant = product.variants.get()
    variant.attributes = {"base": "E12", "wattage": "4 W"}
    variant.weight_grams = 150
    variant.min_quantity, variant.pack_size = 24, 12
    variant.save()

    # when
    rows = list(csv.DictReader(StringIO(export_text())))

    # then
    assert rows == [
        {
            "sku": variant.sku,
            "product": "B11 Candle",
            "product_slug": "b11-candle",
            "category": "Candelabra",
            "category_slug": "candelabra",
            "variant_name": variant.name,
            "brand": "Vintra",
            "description": "",
            "price": "13.50",
            "currency": "USD",
            "weight_grams": "150",
            "min_quantity": "24",
            "pack_size": "12",
            "active": "true",
            "image": "",
            "attr:base": "E12",
            "attr:wattage": "4 W",
        }
    ]


def test_export_marks_variants_of_an_inactive_product_inactive():
    # given
    make_product(name="Hidden", is_active=False)

    # when
    [row] = csv.DictReader(StringIO(export_text()))

    # then
    assert row["active"] == "false"


def test_export_then_import_into_an_empty_catalog_round_trips_exactly():
    # given
    demo_load()
    Product.objects.filter(slug="a21-led-150w-equivalent").update(description='Quotes "inside", commas, and\na newline')
    first = export_text()
    variants = Variant.objects.count()
    catalog_clear()

    # when
    result = products_import(data=first.encode())
    second = export_text()

    # then
    assert result.created == variants == 60
    assert second == first


def test_importing_an_export_into_the_same_catalog_changes_nothing():
    # given
    demo_load()
    exported = export_text()
    before = sorted(Variant.objects.values_list("sku", "updated_at"))

    # when
    result = products_import(data=exported.encode())

    # then
    assert (result.created, result.updated) == (0, 0)
    assert sorted(Variant.objects.values_list("sku", "updated_at")) == before


def test_stock_export_round_trips():
    # given
    demo_load()
    first = export_text(stock_export)
    StockLevel.objects.update(on_hand=0)

    # when
    result = stock_import(data=first.encode())

    # then
    assert result.updated > 100
    assert export_text(stock_export) == first
    assert first.splitlines()[0] == "sku,warehouse,on_hand"


def test_export_uses_the_same_number_of_queries_for_3_or_30_products():
    # given
    warehouse = make_warehouse(code="CHI")
    for _ in range(3):
        make_product(variants=2, warehouse=warehouse)
    with CaptureQueriesContext(connection) as few:
        export_text()
        export_text(stock_export)
    for _ in range(27):
        make_product(variants=2, warehouse=warehouse)

    # when
    with CaptureQueriesContext(connection) as many:
        text = export_text()
        export_text(stock_export)

    # then
    assert text.count("\n") == 61
    assert len(many) == len(few)


def test_command_exports_to_stdout_and_to_a_file(tmp_path):
    # given
    make_product(name="Flood", slug="flood")
    out, err = StringIO(), StringIO()
    path = tmp_path / "products.csv"

    # when
    call_command("catalog", "export", stdout=out)
    call_command("catalog", "export", "--output", str(path), stderr=err)

    # then
    assert out.getvalue() == path.read_text(encoding="utf-8")
    assert "flood" in out.getvalue()
    assert "1 rows written" in err.getvalue()


def test_command_exports_stock(tmp_path):
    # given
    warehouse = make_warehouse(code="ATL")
    variant = make_product(stock=42, warehouse=warehouse).variants.get()
    out = StringIO()

    # when
    call_command("catalog", "export-stock", stdout=out)

    # then
    assert out.getvalue() == f"sku,warehouse,on_hand\n{variant.sku},ATL,42\n"
