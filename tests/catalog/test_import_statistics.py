"""A large catalog import refreshes PostgreSQL's planner statistics when it commits: the first searches after it
are planned for the rows it wrote, not for empty tables (bench/catalog.py measures the difference)."""

import pytest
from django.db import connection

from autosales.catalog.imports import batches
from autosales.catalog.imports.products import products_import
from autosales.catalog.imports.stock import stock_import
from tests.factories import make_warehouse

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.postgres]


def analyzed(table: str) -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT analyze_count FROM pg_stat_user_tables WHERE relname = %s", [table])
        return cursor.fetchone()[0]


def test_an_import_of_many_rows_analyzes_the_tables_it_wrote_and_a_small_one_does_not(on_postgres, monkeypatch):
    monkeypatch.setattr(batches, "ANALYZE_AFTER_ROWS", 3)  # "many" for this test
    warehouse = make_warehouse(code="MAIN")
    header = "sku,product,category,category_slug,price\n"
    before = {t: analyzed(t) for t in ("catalog_product", "catalog_variant", "pricing_price", "inventory_stocklevel")}

    # a small import (2 rows) leaves the statistics to autovacuum
    products_import(data=(header + "A-1,Bulb A,Bulbs,bulbs,1.00\nA-2,Bulb A,Bulbs,bulbs,1.00\n").encode())
    assert analyzed("catalog_product") == before["catalog_product"]

    # an import of 3 rows and more analyzes its tables once it has committed
    rows = "".join(f"B-{n},Bulb B{n},Bulbs,bulbs,2.00\n" for n in range(3))
    products_import(data=(header + rows).encode())
    for table in ("catalog_product", "catalog_variant", "pricing_price"):
        assert analyzed(table) > before[table], table
    stock = "".join(f"B-{n},{warehouse.code},5\n" for n in range(3))
    stock_import(data=("sku,warehouse,on_hand\n" + stock).encode())
    assert analyzed("inventory_stocklevel") > before["inventory_stocklevel"]
