import csv
import io
from decimal import Decimal
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from autosales.catalog.imports import ImportRejected, products_import, stock_import
from autosales.catalog.models import Category, Product, Variant
from autosales.catalog.selectors import product_search
from autosales.inventory.models import StockLevel
from autosales.pricing.models import Price
from tests.factories import default_price_list, make_product, make_warehouse

pytestmark = pytest.mark.django_db

EXAMPLE = Path(__file__).resolve().parents[2] / "docs" / "examples" / "products.csv"
HEADER = [
    "sku",
    "product",
    "product_slug",
    "category",
    "category_slug",
    "variant_name",
    "brand",
    "description",
    "price",
    "currency",
    "weight_grams",
    "active",
    "attr:wattage",
    "attr:base",
]


def csv_bytes(rows, header=HEADER, *, bom=False) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return (("\ufeff" if bom else "") + out.getvalue()).encode()


def row(sku="A19-60-27K", product="A19 LED 60 W", **cells) -> list[str]:
    values = {
        "sku": sku,
        "product": product,
        "product_slug": "",
        "category": "LED A-lamps",
        "category_slug": "led-a-lamps",
        "variant_name": "2700 K",
        "brand": "Lumora",
        "description": "Everyday bulb.",
        "price": "7.99",
        "currency": "USD",
        "weight_grams": "160",
        "active": "true",
        "attr:wattage": "9 W",
        "attr:base": "E26",
    }
    values.update({k.replace("attr_", "attr:"): v for k, v in cells.items()})
    return [values[column] for column in HEADER]


def write(tmp_path, data: bytes, name="products.csv") -> str:
    path = tmp_path / name
    path.write_bytes(data)
    return str(path)


def catalog_state():
    return (
        sorted(Category.objects.values_list("slug", "name", "updated_at")),
        sorted(Product.objects.values_list("slug", "name", "brand", "is_active", "updated_at")),
        sorted(Variant.objects.values_list("sku", "name", "attributes", "is_active", "position", "updated_at")),
        sorted(Price.objects.values_list("variant__sku", "amount", "updated_at")),
    )


def test_import_creates_categories_products_variants_and_list_prices():
    # given
    data = csv_bytes(
        [
            row("A19-60-27K", variant_name="2700 K"),
            row("A19-60-50K", variant_name="5000 K", price="8.49", attr_base="E26"),
            row("GU10-50", product="GU10 spot", category="Reflectors", category_slug="", attr_base="GU10"),
        ]
    )

    # when
    result = products_import(data=data)

    # then
    assert (result.rows, result.created, result.updated, result.unchanged, result.skipped) == (3, 3, 0, 0, 0)
    assert sorted(Category.objects.values_list("slug", "name")) == [
        ("led-a-lamps", "LED A-lamps"),
        ("reflectors", "Reflectors"),
    ]
    product = Product.objects.get(slug="a19-led-60-w")
    assert (product.name, product.brand, product.category.slug) == ("A19 LED 60 W", "Lumora", "led-a-lamps")
    assert list(product.variants.values_list("sku", "position")) == [("A19-60-27K", 0), ("A19-60-50K", 1)]
    variant = Variant.objects.get(sku="A19-60-50K")
    assert variant.attributes == {"wattage": "9 W", "base": "E26"}
    assert variant.weight_grams == 160
    assert Price.objects.get(variant=variant, price_list__is_default=True).amount == Decimal("8.49")
    # the search index knows the new products
    assert [p.slug for p in product_search(query="GU10-50")] == ["gu10-spot"]


def test_import_twice_changes_nothing_the_second_time():
    # given
    data = csv_bytes([row("A-1"), row("A-2", variant_name="5000 K"), row("B-1", product="Candle", attr_base="E12")])
    products_import(data=data)
    before = catalog_state()

    # when
    result = products_import(data=data)

    # then
    assert (result.created, result.updated, result.unchanged) == (0, 0, 3)
    assert catalog_state() == before


def test_import_updates_existing_variants_by_sku():
    # given
    products_import(data=csv_bytes([row("A-1"), row("A-2", variant_name="5000 K")]))

    # when
    result = products_import(
        data=csv_bytes(
            [
                row("A-1", product="A19 LED 60 W (new)", price="6.99", attr_wattage="8.5 W"),
                row("A-2", product="A19 LED 60 W (new)", variant_name="5000 K", attr_base=""),
            ]
        )
    )

    # then
    assert (result.created, result.updated, result.unchanged) == (0, 2, 0)
    # without a product_slug column, the SKUs keep their product: it is renamed, not duplicated
    assert list(Product.objects.values_list("slug", "name")) == [("a19-led-60-w", "A19 LED 60 W (new)")]
    assert Price.objects.get(variant__sku="A-1").amount == Decimal("6.99")
    assert Variant.objects.get(sku="A-1").attributes == {"wattage": "8.5 W", "base": "E26"}
    assert Variant.objects.get(sku="A-2").attributes == {"wattage": "9 W"}  # an empty cell removes the attribute


def test_import_leaves_fields_of_columns_not_in_the_file_as_they_are():
    # given
    product = make_product(name="Flood", brand="Acme", description="Old text", price="5.00")
    variant = product.variants.get()

    # when
    products_import(
        data=csv_bytes(
            [[variant.sku, "Flood", product.slug, product.category.name, product.category.slug]],
            header=["sku", "product", "product_slug", "category", "category_slug"],
        )
    )

    # then
    product.refresh_from_db()
    assert (product.brand, product.description) == ("Acme", "Old text")
    assert Price.objects.get(variant=variant).amount == Decimal("5.00")


def test_import_deactivates_a_product_when_all_its_variants_are_inactive():
    # given
    products_import(data=csv_bytes([row("A-1"), row("A-2", variant_name="5000 K")]))

    # when
    products_import(data=csv_bytes([row("A-1", active="false"), row("A-2", variant_name="5000 K", active="no")]))

    # then
    assert not Product.objects.get().is_active
    assert not Variant.objects.filter(is_active=True).exists()


def test_invalid_rows_are_reported_with_line_column_and_reason_and_nothing_is_written():
    # given
    make_product(name="Existing")
    before = catalog_state()
    data = csv_bytes(
        [
            row("OK-1"),
            row("BAD-1", price="12,5"),
            row("BAD-2", product=""),
            row("BAD-3", weight_grams="heavy", active="maybe"),
            row("BAD-4", price="-3"),
            row("BAD-5", currency="EUR"),
            row("BAD 6"),
        ]
    )

    # when
    with pytest.raises(ImportRejected) as raised:
        products_import(data=data)

    # then
    assert [str(e) for e in raised.value.errors] == [
        'line 3, column price: not a number: "12,5"',
        "line 4, column product: required",
        'line 5, column active: not true or false: "maybe"',
        'line 5, column weight_grams: not a whole number: "heavy"',
        'line 6, column price: must not be negative: "-3"',
        'line 7, column currency: the list prices are in USD, not "EUR"',
        'line 8, column sku: must not contain spaces: "BAD 6"',
    ]
    assert catalog_state() == before


def test_rows_of_one_product_must_agree_and_skus_must_be_unique():
    # given
    data = csv_bytes(
        [
            row("A-1", product="Bulb", product_slug="bulb"),
            row("A-2", product="Bulb", product_slug="bulb", brand="Other brand"),
            row("A-1", product="Bulb", product_slug="bulb"),
            row("C-1", product="Candle", category="Lamps, LED", category_slug="led-a-lamps"),
        ]
    )

    # when
    with pytest.raises(ImportRejected) as raised:
        products_import(data=data)

    # then
    assert [str(e) for e in raised.value.errors] == [
        'line 3, column brand: differs from line 2 for product "bulb"',
        'line 4, column sku: duplicate SKU "A-1", already on line 2',
        'line 5, column category: differs from line 2 for category "led-a-lamps"',
    ]


def test_skip_invalid_imports_the_valid_rows_and_reports_the_others():
    # given
    data = csv_bytes([row("OK-1"), row("BAD-1", price="abc"), row("OK-2", variant_name="5000 K")])

    # when
    result = products_import(data=data, skip_invalid=True)

    # then
    assert (result.created, result.skipped) == (2, 1)
    assert [str(e) for e in result.errors] == ['line 3, column price: not a number: "abc"']
    assert set(Variant.objects.values_list("sku", flat=True)) == {"OK-1", "OK-2"}


def test_dry_run_reports_what_would_change_and_writes_nothing():
    # when
    result = products_import(data=csv_bytes([row("A-1"), row("A-2", variant_name="x")]), dry_run=True)

    # then
    assert (result.created, result.dry_run) == (2, True)
    assert not Variant.objects.exists()
    assert not Category.objects.exists()


def test_utf8_with_or_without_bom_imports_the_same():
    # given
    name = "Ampoule LED à filament — 2700 K"

    # when
    products_import(data=csv_bytes([row("F-1", product=name)], bom=True))
    products_import(data=csv_bytes([row("F-2", product=name)]))

    # then
    assert Product.objects.get().name == name
    assert Variant.objects.count() == 2


def test_a_file_that_is_not_utf8_is_rejected_with_its_line():
    # given
    data = csv_bytes([row("A-1"), row("A-2", product="Lampe à pied")]).decode().encode("latin-1")

    # when
    with pytest.raises(ImportRejected) as raised:
        products_import(data=data)

    # then
    assert str(raised.value.errors[0]) == "line 3: the file is not UTF-8 text (save it as CSV UTF-8)"


def test_header_problems_are_reported_and_nothing_is_read():
    # when
    with pytest.raises(ImportRejected) as raised:
        products_import(data=b"sku,name,price,price\nA-1,Bulb,1.00,1.00\n")

    # then
    assert [str(e) for e in raised.value.errors] == [
        "line 1, column category: missing column",
        "line 1, column name: unknown column (expected: active, brand, category, category_slug, currency, "
        "description, image, min_quantity, pack_size, price, product, product_slug, sku, variant_name, weight_grams, "
        "attr:<name>)",
        "line 1, column price: duplicate column",
        "line 1, column product: missing column",
    ]


def test_line_numbers_count_lines_inside_quoted_cells():
    # given: a description over three lines pushes the next record to line 5
    data = csv_bytes([row("A-1", description="One\nTwo\nThree"), row("A-2", price="x")])

    # when
    with pytest.raises(ImportRejected) as raised:
        products_import(data=data)

    # then
    assert [str(e) for e in raised.value.errors] == ['line 5, column price: not a number: "x"']


def test_a_row_with_the_wrong_number_of_cells_is_invalid():
    # when
    with pytest.raises(ImportRejected) as raised:
        products_import(data=b"sku,product,category\nA-1,Bulb\nA-2,Bulb,Lamps\n")

    # then
    assert [str(e) for e in raised.value.errors] == ["line 2: 2 values, but the header has 3 columns"]


def test_a_nul_character_in_a_cell_is_reported_by_a_dry_run_and_nothing_is_written():
    # given: a NUL, which PostgreSQL cannot store, in a name and in an attribute
    data = csv_bytes([row("A-1"), row("A-2", product="A19\x00 LED", attr_wattage="9\x00W")])

    # when
    result = products_import(data=data, dry_run=True, skip_invalid=True)

    # then
    assert [str(e) for e in result.errors] == [
        "line 3, column attr:wattage: contains a NUL character",
        "line 3, column product: contains a NUL character",
    ]
    assert (result.created, result.skipped) == (1, 1)
    assert not Variant.objects.exists()


def test_a_nul_character_in_a_cell_rejects_the_import_with_its_line_and_column():
    # when
    with pytest.raises(ImportRejected) as raised:
        products_import(data=csv_bytes([row("A-1"), row("A-\x002")]))

    # then
    assert [str(e) for e in raised.value.errors] == ["line 3, column sku: contains a NUL character"]
    assert not Variant.objects.exists()


def test_skip_invalid_imports_the_rows_without_a_nul_character():
    # when
    result = products_import(data=csv_bytes([row("A-1"), row("A-2", variant_name="5000 K\x00")]), skip_invalid=True)

    # then
    assert (result.created, result.skipped) == (1, 1)
    assert list(Variant.objects.values_list("sku", flat=True)) == ["A-1"]


def test_a_nul_character_in_a_stock_file_is_reported():
    # given
    variant = make_product().variants.get()
    warehouse = make_warehouse(code="CHI")

    # when
    with pytest.raises(ImportRejected) as raised:
        stock_import(data=stock_bytes([[variant.sku, "CHI\x00", "5"]]))

    # then
    assert [str(e) for e in raised.value.errors] == ["line 2, column warehouse: contains a NUL character"]
    assert not StockLevel.objects.filter(warehouse=warehouse, on_hand=5).exists()


def test_import_writes_in_batches_whatever_the_file_size():
    # given
    def rows(n, prefix):
        return csv_bytes([row(f"{prefix}-{i}", product=f"Bulb {prefix} {i // 3}") for i in range(n)])

    small, large = rows(30, "S"), rows(3000, "L")

    # when
    with CaptureQueriesContext(connection) as small_queries:
        products_import(data=small)
    with CaptureQueriesContext(connection) as large_queries:
        products_import(data=large)

    # then: rows are read and written in batches (SQLite's batches hold about 100 rows), never one by one
    assert Variant.objects.count() == 3030
    assert len(small_queries) <= 25
    assert len(large_queries) <= len(small_queries) + 3000 / 25, (len(small_queries), len(large_queries))


def test_example_file_in_the_docs_imports_cleanly():
    # when
    result = products_import(data=EXAMPLE.read_bytes())

    # then
    assert result.errors == ()
    assert result.created == result.rows >= 5


# -- Stock -------------------------------------------------------------------------------------------


def stock_bytes(rows) -> bytes:
    return csv_bytes(rows, header=["sku", "warehouse", "on_hand"])


def test_stock_import_sets_on_hand_per_sku_and_warehouse():
    # given
    chicago, atlanta = make_warehouse(code="CHI"), make_warehouse(code="ATL")
    product = make_product(variants=2, stock=5, warehouse=chicago)
    first, second = product.variants.order_by("sku")

    # when
    result = stock_import(
        data=stock_bytes([[first.sku, "CHI", "40"], [first.sku, "ATL", "12"], [second.sku, "CHI", "5"]])
    )

    # then
    assert (result.created, result.updated, result.unchanged) == (1, 1, 1)
    levels = dict(StockLevel.objects.filter(variant=first).values_list("warehouse__code", "on_hand"))
    assert levels == {"CHI": 40, "ATL": 12}
    assert atlanta.stock_levels.count() == 1


def test_stock_import_rejects_unknown_skus_warehouses_and_counts_below_allocations():
    # given
    chicago = make_warehouse(code="CHI")
    product = make_product(stock=10, warehouse=chicago)
    variant = product.variants.get()
    StockLevel.objects.filter(variant=variant).update(allocated=6)

    # when
    with pytest.raises(ImportRejected) as raised:
        stock_import(
            data=stock_bytes(
                [
                    ["NOPE", "CHI", "1"],
                    [variant.sku, "XYZ", "1"],
                    [variant.sku, "CHI", "5"],
                    [variant.sku, "CHI", "-2"],
                    [variant.sku, "CHI", ""],
                ]
            )
        )

    # then
    assert [str(e) for e in raised.value.errors] == [
        'line 2, column sku: no variant with SKU "NOPE"',
        'line 3, column warehouse: no warehouse with code "XYZ" (known: CHI)',
        "line 4, column on_hand: 5 is below the 6 units allocated to open orders",
        'line 5, column on_hand: must not be negative: "-2"',
        "line 6, column on_hand: required",
    ]
    assert StockLevel.objects.get(variant=variant).on_hand == 10


# -- The command -------------------------------------------------------------------------------------


def test_command_imports_a_file_and_prints_a_summary(tmp_path):
    # given
    path = write(tmp_path, csv_bytes([row("A-1"), row("A-2", variant_name="x")]))
    out = StringIO()

    # when
    call_command("catalog", "import", path, stdout=out, stderr=StringIO())

    # then
    assert "2 rows; 2 were created, 0 updated, 0 unchanged" in out.getvalue()
    assert Variant.objects.count() == 2


def test_command_exits_with_an_error_and_the_list_when_rows_are_invalid(tmp_path):
    # given
    path = write(tmp_path, csv_bytes([row("A-1"), row("A-2", price="12,5")]))
    err = StringIO()

    # when
    with pytest.raises(CommandError, match="nothing was imported") as raised:
        call_command("catalog", "import", path, stdout=StringIO(), stderr=err)

    # then
    assert raised.value.returncode == 1
    assert 'line 3, column price: not a number: "12,5"' in err.getvalue()
    assert not Variant.objects.exists()


def test_command_dry_run_and_import_report_a_nul_character(tmp_path):
    # given
    path = write(tmp_path, csv_bytes([row("A-1"), row("A-2", brand="Lu\x00mora")]))

    # when: the dry run and the real import say the same
    for args in (["--dry-run"], []):
        err = StringIO()
        with pytest.raises(CommandError) as raised:
            call_command("catalog", "import", path, *args, stdout=StringIO(), stderr=err)

        # then
        assert raised.value.returncode == 1
        assert "line 3, column brand: contains a NUL character" in err.getvalue()
    assert not Variant.objects.exists()


def test_command_skip_invalid_and_dry_run(tmp_path):
    # given
    path = write(tmp_path, csv_bytes([row("A-1"), row("A-2", price="12,5")]))
    out = StringIO()

    # when
    call_command("catalog", "import", path, "--skip-invalid", "--dry-run", stdout=out, stderr=StringIO())
    dry = Variant.objects.count()
    call_command("catalog", "import", path, "--skip-invalid", stdout=out, stderr=StringIO())

    # then
    assert dry == 0
    assert "1 would be created" in out.getvalue() and "1 invalid rows skipped" in out.getvalue()
    assert list(Variant.objects.values_list("sku", flat=True)) == ["A-1"]


def test_command_shows_a_progress_bar_on_long_files(tmp_path):
    # given
    path = write(tmp_path, csv_bytes([row(f"P-{i}", product=f"Bulb {i // 4}") for i in range(1200)]))
    err = StringIO()

    # when
    call_command("catalog", "import", path, stdout=StringIO(), stderr=err)

    # then
    assert "Importing: 100%" in err.getvalue()
    assert "1200/1200" in err.getvalue()


def test_command_reports_a_missing_file(tmp_path):
    # when / then
    with pytest.raises(CommandError, match="no such file"):
        call_command("catalog", "import", str(tmp_path / "nope.csv"))


def test_command_imports_stock(tmp_path):
    # given
    warehouse = make_warehouse(code="CHI")
    variant = make_product(stock=1, warehouse=warehouse).variants.get()
    path = write(tmp_path, stock_bytes([[variant.sku, "CHI", "77"]]), "stock.csv")

    # when
    call_command("catalog", "import-stock", path, stdout=StringIO(), stderr=StringIO())

    # then
    assert StockLevel.objects.get(variant=variant).on_hand == 77


def test_default_price_list_is_used_for_prices():
    # given
    price_list = default_price_list()

    # when
    products_import(data=csv_bytes([row("A-1", price="3.10")]))

    # then
    assert Price.objects.get().price_list == price_list


def test_min_quantity_and_pack_size_are_imported_and_left_as_they_are_when_the_columns_are_absent():
    header = [*HEADER, "min_quantity", "pack_size"]
    # given a file that sells one variant in packs of 12, at least 24, and leaves the other's cells empty
    first = products_import(
        data=csv_bytes([[*row("LED-A19-9W"), "24", "12"], [*row("LED-A19-60", variant_name="5000 K"), "", ""]], header)
    )
    assert first.created == 2
    assert dict(Variant.objects.values_list("sku", "min_quantity")) == {"LED-A19-9W": 24, "LED-A19-60": 1}
    assert dict(Variant.objects.values_list("sku", "pack_size")) == {"LED-A19-9W": 12, "LED-A19-60": 1}
    # when a file without the columns is imported
    products_import(data=csv_bytes([row("LED-A19-9W")]))
    # then they stay as they were
    assert Variant.objects.get(sku="LED-A19-9W").pack_size == 12


def test_a_bad_min_quantity_or_pack_size_is_reported_with_its_line_and_column():
    header = [*HEADER, "min_quantity", "pack_size"]
    data = csv_bytes(
        [
            [*row("OK-1"), "1", "1"],
            [*row("BAD-1"), "0", "twelve"],
            [*row("BAD-2"), "-4", "100001"],
        ],
        header,
    )
    with pytest.raises(ImportRejected) as raised:
        products_import(data=data)
    assert [str(e) for e in raised.value.errors] == [
        'line 3, column min_quantity: must be at least 1: "0"',
        'line 3, column pack_size: not a whole number: "twelve"',
        'line 4, column min_quantity: must not be negative: "-4"',
        'line 4, column pack_size: must be at most 100,000 (the most one order line may hold): "100001"',
    ]
    assert not Variant.objects.exists()
