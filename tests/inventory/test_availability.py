import pytest
from django.test import override_settings

from autosales.inventory.models import StockLevel
from autosales.inventory.selectors import (
    StockStatus,
    availability_by_variant,
    availability_of,
    available_by_variant,
    available_by_warehouse,
    available_totals,
)
from tests.factories import make_product, make_warehouse

pytestmark = pytest.mark.django_db


def _stocked_in_three_warehouses():
    """A variant with 10 on hand (4 allocated) at MAIN, 5 (5 allocated) at EAST and 100 at a closed one."""
    main = make_warehouse(code="MAIN")
    second = make_warehouse(code="EAST")
    closed = make_warehouse(code="OLD", is_active=False)
    variant = make_product(stock=10, warehouse=main).variants.get()
    StockLevel.objects.filter(variant=variant).update(allocated=4)
    StockLevel.objects.create(warehouse=second, variant=variant, on_hand=5, allocated=5)
    StockLevel.objects.create(warehouse=closed, variant=variant, on_hand=100, allocated=0)
    return variant, main, second


def test_available_is_on_hand_minus_allocated_summed_over_active_warehouses():
    variant, _, _ = _stocked_in_three_warehouses()
    assert available_by_variant(variant_ids=[variant.id]) == {variant.id: 6}


def test_available_by_warehouse_is_per_active_warehouse_and_adds_up_to_available_by_variant():
    # given the variant above, and another without stock rows
    variant, main, second = _stocked_in_three_warehouses()
    bare = make_product().variants.get()
    StockLevel.objects.filter(variant=bare).delete()

    # when
    by_warehouse = available_by_warehouse(variant_ids=[variant.id, bare.id, variant.id])

    # then
    assert by_warehouse == {variant.id: {main.id: 6, second.id: 0}, bare.id: {}}
    assert available_totals(by_warehouse) == available_by_variant(variant_ids=[variant.id, bare.id])
    assert available_by_warehouse(variant_ids=[]) == {} and available_by_variant(variant_ids=[]) == {}


def test_variants_without_stock_rows_have_zero():
    # given
    variant = make_product().variants.get()
    StockLevel.objects.filter(variant=variant).delete()

    # when / then
    assert available_by_variant(variant_ids=[variant.id]) == {variant.id: 0}


def test_available_by_variant_takes_one_query_whatever_the_number_of_variants(django_assert_num_queries):
    # given
    few = [v.id for v in make_product(variants=3).variants.all()]
    many = [v.id for v in make_product(variants=30).variants.all()]

    # when / then
    with django_assert_num_queries(1):
        assert len(available_by_variant(variant_ids=few)) == 3
    with django_assert_num_queries(1):
        assert len(available_by_variant(variant_ids=many)) == 30


@override_settings(LOW_STOCK_THRESHOLD=5, STOCK_RESTOCK_DAYS=0)
@pytest.mark.parametrize(
    ("units", "status", "label", "counted_label"),
    [
        (0, StockStatus.OUT_OF_STOCK, "Out of stock", "Out of stock"),
        (-3, StockStatus.OUT_OF_STOCK, "Out of stock", "Out of stock"),
        (1, StockStatus.LOW_STOCK, "Only a few left", "Only 1 left"),
        (5, StockStatus.LOW_STOCK, "Only a few left", "Only 5 left"),
        (6, StockStatus.IN_STOCK, "In stock", "In stock (6)"),
        (1000, StockStatus.IN_STOCK, "In stock", "In stock (1000)"),
    ],
)
def test_availability_labels(units, status, label, counted_label):
    availability = availability_of(units)
    assert availability.status == status
    assert availability.label == label
    assert availability.counted_label == counted_label


@pytest.mark.parametrize(("days", "label"), [(0, "Out of stock"), (1, "Ships in 1 day"), (14, "Ships in 14 days")])
def test_out_of_stock_says_when_it_ships_when_the_shop_sets_restock_days(settings, days, label):
    settings.STOCK_RESTOCK_DAYS = days
    assert availability_of(0).label == availability_of(0).counted_label == label


def test_availability_by_variant_labels_each_variant():
    # given
    in_stock, sold_out = make_product(variants=2, stock=50).variants.all()
    StockLevel.objects.filter(variant=sold_out).update(allocated=50)

    # when
    result = availability_by_variant(variant_ids=[in_stock.id, sold_out.id])

    # then
    assert result[in_stock.id].label == "In stock"
    assert result[in_stock.id].counted_label == "In stock (50)"
    assert result[sold_out.id].label == "Out of stock"


def test_allocating_and_releasing_bump_the_stock_version_only_when_the_store_shows_something_else():
    from autosales.core.cache_versions import STOCK, versions_current
    from autosales.inventory.services import stock_allocate, stock_release

    main, west = make_warehouse(code="MAIN"), make_warehouse(code="WEST")  # MAIN is allocated from first
    variant = make_product(stock=30, warehouse=main).variants.get()
    StockLevel.objects.create(warehouse=west, variant=variant, on_hand=2, allocated=0)

    def bumped(change) -> bool:
        before = versions_current(STOCK)
        change()
        return versions_current(STOCK) != before

    # 32 in stock at two centers: 10 from MAIN leaves 22, "In stock", both centers ship it
    assert not bumped(lambda: stock_allocate(quantities={variant.id: 10}))
    # 15 more: 7 left, "Only a few left" (the threshold is 10)
    parts = []
    assert bumped(lambda: parts.extend(stock_allocate(quantities={variant.id: 15})))
    # giving 1 back: 8 left, still "Only a few left" from both centers
    assert not bumped(lambda: stock_release(parts=[(parts[0].stock_level_id, 1)]))
    # the last 8: "Out of stock"
    assert bumped(lambda: stock_allocate(quantities={variant.id: 8}))
    # one back at WEST only: WEST ships it again ("Only a few left")
    west_level = StockLevel.objects.get(warehouse=west, variant=variant)
    assert bumped(lambda: stock_release(parts=[(west_level.pk, 1)]))
