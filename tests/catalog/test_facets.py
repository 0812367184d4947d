"""catalog.facets: facet rows kept on reindex, filters (OR within an attribute, AND across), counts in one query."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from autosales.catalog.facets import attribute_pairs, facet_names, selection_from
from autosales.catalog.models import ProductFacet, Variant
from autosales.catalog.selectors import listing_facets, products_for_listing
from autosales.catalog.services import product_reindex, products_reindex
from tests.factories import make_category, make_product

pytestmark = pytest.mark.django_db


def bulb(name, *variants, category=None):
    return make_product(name=name, category=category, attributes=list(variants))


def counts(facets) -> dict:
    return {f.name: {v.value: v.count for v in f.values} for f in facets}


def names(products) -> list[str]:
    return sorted(p.name for p in products)


def test_attribute_pairs_read_text_numbers_and_lists_and_skip_empty_values():
    pairs = attribute_pairs({"wattage": 60, "base": " E26 ", "finish": ["frosted", "clear"], "note": "", "x": None})
    assert pairs == {("wattage", "60"), ("base", "E26"), ("finish", "frosted"), ("finish", "clear")}


def test_reindex_keeps_one_row_per_value_of_active_variants_only():
    # given a product with two variants sharing a base, one of them later taken off sale
    product = bulb("A19", {"base": "E26", "wattage": "60 W"}, {"base": "E26", "wattage": "75 W"})
    assert set(ProductFacet.objects.filter(product=product).values_list("name", "value")) == {
        ("base", "E26"),
        ("wattage", "60 W"),
        ("wattage", "75 W"),
    }
    # when
    Variant.objects.filter(product=product, attributes__wattage="75 W").update(is_active=False)
    product_reindex(product=product)
    # then
    assert set(ProductFacet.objects.filter(product=product).values_list("name", "value")) == {
        ("base", "E26"),
        ("wattage", "60 W"),
    }


def test_bulk_reindex_repairs_rows_changed_behind_its_back():
    product = bulb("A19", {"base": "E26"})
    ProductFacet.objects.filter(product=product).delete()
    Variant.objects.filter(product=product).update(attributes={"base": "E12"})
    assert products_reindex(product_ids=[product.id]) == 1
    assert list(ProductFacet.objects.filter(product=product).values_list("name", "value")) == [("base", "E12")]
    assert products_reindex(product_ids=[product.id]) == 0


def test_values_of_one_attribute_are_alternatives_and_attributes_all_apply():
    # given
    bulb("A 60 E26", {"wattage": "60 W", "base": "E26"})
    bulb("B 75 E26", {"wattage": "75 W", "base": "E26"})
    bulb("C 60 E12", {"wattage": "60 W", "base": "E12"})
    bulb("D 9 GU10", {"wattage": "9 W", "base": "GU10"})

    def listed(**chosen):
        selection = selection_from({k: v for k, v in chosen.items()}, names=facet_names())
        return names(products_for_listing(selection=selection))

    # when / then
    assert listed(wattage=["60 W", "75 W"]) == ["A 60 E26", "B 75 E26", "C 60 E12"]
    assert listed(wattage=["60 W", "75 W"], base=["E26"]) == ["A 60 E26", "B 75 E26"]
    assert listed(wattage=["9 W"], base=["E26"]) == []


def test_counts_say_what_ticking_a_value_would_leave_and_keep_the_selected_attributes_other_values():
    # given
    bulb("A", {"wattage": "60 W", "base": "E26"})
    bulb("B", {"wattage": "75 W", "base": "E26"})
    bulb("C", {"wattage": "60 W", "base": "E12"})
    bulb("D", {"wattage": "9 W", "base": "GU10"})
    all_names = facet_names()

    # when nothing is chosen, then each value counts its products, values in natural order
    facets = listing_facets(selection=(), names=all_names)
    assert [f.name for f in facets] == ["base", "wattage"]
    assert [v.value for v in facets[1].values] == ["9 W", "60 W", "75 W"]
    assert counts(facets) == {"base": {"E12": 1, "E26": 2, "GU10": 1}, "wattage": {"9 W": 1, "60 W": 2, "75 W": 1}}

    # when base E26 is chosen, then wattage counts are within E26; base counts ignore the base choice
    selection = selection_from({"base": ["E26"]}, names=all_names)
    facets = listing_facets(selection=selection, names=all_names)
    assert counts(facets) == {"base": {"E12": 1, "E26": 2, "GU10": 1}, "wattage": {"60 W": 1, "75 W": 1}}
    assert [v.value for f in facets for v in f.values if v.selected] == ["E26"]


def test_a_chosen_value_no_product_has_is_kept_at_zero_so_it_can_be_removed():
    bulb("A", {"base": "E26"})
    facets = listing_facets(selection=(("base", ("E99",)),), names=["base"])
    assert counts(facets) == {"base": {"E26": 1, "E99": 0}}


def test_facets_follow_the_category_and_the_search():
    lamps, tubes = make_category(), make_category()
    bulb("Warm lamp", {"colour": "2700 K"}, category=lamps)
    bulb("Cool lamp", {"colour": "5000 K"}, category=lamps)
    bulb("Cool tube", {"colour": "5000 K"}, category=tubes)
    assert counts(listing_facets(category=lamps, names=["colour"])) == {"colour": {"2700 K": 1, "5000 K": 1}}
    assert counts(listing_facets(query="cool", names=["colour"])) == {"colour": {"5000 K": 2}}
    chosen = (("colour", ("5000 K",)),)
    assert names(products_for_listing(query="lamp", selection=chosen)) == ["Cool lamp"]


def test_parameters_that_name_no_facet_are_not_a_selection():
    bulb("A", {"base": "E26", "page": "2"})
    selection = selection_from(
        {"base": ["E26", " ", "E12"], "utm_source": ["mail"], "page": ["2"], "q": ["x"]}, names=facet_names()
    )
    assert selection == (("base", ("E12", "E26")),)


def test_facet_attributes_setting_chooses_and_orders_them(settings):
    bulb("A", {"base": "E26", "wattage": "60 W", "lumens": "800 lm"})
    settings.CATALOG_FACET_ATTRIBUTES = ["wattage", "base"]
    assert [f.name for f in listing_facets(names=facet_names())] == ["wattage", "base"]


def test_counts_take_one_query_whatever_the_products_and_the_selection():
    # given a category of 3, then 40 products over several values
    category = make_category()
    for i in range(3):
        bulb(f"Few {i}", {"wattage": f"{i} W", "base": "E26"}, category=category)
    selection = (("base", ("E26", "E12")), ("wattage", ("1 W", "2 W")))

    def queries() -> int:
        with CaptureQueriesContext(connection) as ctx:
            listing_facets(category=category, selection=selection, names=["base", "wattage", "pack"])
        return len(ctx.captured_queries)

    few = queries()
    for i in range(40):
        bulb(
            f"Many {i}", {"wattage": f"{i % 7} W", "base": ["E26", "E12"][i % 2], "pack": str(i % 3)}, category=category
        )
    # then: the category tree, then the counts
    assert queries() == few == 2
