"""Stock allocation: highest-priority warehouse first, split across warehouses, all or nothing."""

import pytest

from autosales.inventory.allocation import InsufficientStock
from autosales.inventory.models import StockLevel
from autosales.inventory.services import stock_allocate, stock_release
from tests.factories import make_product, make_warehouse

pytestmark = pytest.mark.django_db


def test_allocation_takes_from_the_first_warehouse_then_the_next():
    main = make_warehouse(code="MAIN", priority=0)
    backup = make_warehouse(code="BACK", priority=5)
    product = make_product(stock=3, warehouse=main)
    variant = product.variants.get()
    StockLevel.objects.create(warehouse=backup, variant=variant, on_hand=10)

    parts = stock_allocate(quantities={variant.pk: 5})

    assert [(p.stock_level_id, p.quantity) for p in parts] == [
        (StockLevel.objects.get(warehouse=main).pk, 3),
        (StockLevel.objects.get(warehouse=backup).pk, 2),
    ]
    assert StockLevel.objects.get(warehouse=main).allocated == 3
    assert StockLevel.objects.get(warehouse=backup).allocated == 2


def test_inactive_warehouses_do_not_count():
    closed = make_warehouse(code="SHUT", is_active=False)
    variant = make_product(stock=10, warehouse=closed).variants.get()
    with pytest.raises(InsufficientStock) as raised:
        stock_allocate(quantities={variant.pk: 1})
    assert raised.value.shortages[0].available == 0 and "out of stock" in raised.value.message


def test_a_shortage_on_one_variant_allocates_nothing_at_all():
    plenty = make_product(stock=10).variants.get()
    scarce = make_product(stock=1).variants.get()
    with pytest.raises(InsufficientStock) as raised:
        stock_allocate(quantities={plenty.pk: 2, scarce.pk: 2})
    assert raised.value.field == "lines" and scarce.sku in raised.value.message
    assert StockLevel.objects.get(variant=plenty).allocated == 0


def test_release_gives_units_back_and_never_below_zero():
    variant = make_product(stock=5).variants.get()
    parts = stock_allocate(quantities={variant.pk: 4})
    stock_release(parts=[(p.stock_level_id, p.quantity) for p in parts])
    stock_release(parts=[(p.stock_level_id, p.quantity) for p in parts])
    assert StockLevel.objects.get(variant=variant).allocated == 0
