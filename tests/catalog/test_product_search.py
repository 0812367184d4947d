import pytest
from django.db import connection

from autosales.catalog.models import Product, Variant
from autosales.catalog.selectors import product_search, products_for_listing
from autosales.catalog.services import product_reindex, search_index_rebuild
from autosales.core.errors import DomainError
from tests.factories import make_category, make_product

pytestmark = pytest.mark.django_db


def bulb(name, *, sku=None, description="", brand="", attributes=None, **fields):
    product = make_product(name=name, description=description, brand=brand, **fields)
    if sku or attributes:
        variant = product.variants.get()
        variant.sku = sku or variant.sku
        variant.attributes = attributes or {}
        variant.save()
        product_reindex(product=product)
    return product


def names(queryset):
    return [p.name for p in queryset]


def test_search_finds_words_in_name_brand_sku_attributes_and_description():
    # given
    by_name = bulb("Vintage Edison Filament")
    by_brand = bulb("Classic globe", brand="Lumora")
    by_sku = bulb("Reflector", sku="PAR38-90W-FL")
    by_attribute = bulb("Candle", attributes={"base": "E12 candelabra", "colour_temperature": "2700 K"})
    by_description = bulb("Tube", description="Shatterproof coating for garages")

    # when / then
    assert names(product_search(query="edison")) == [by_name.name]
    assert names(product_search(query="lumora")) == [by_brand.name]
    assert names(product_search(query="par38")) == [by_sku.name]
    assert names(product_search(query="candelabra")) == [by_attribute.name]
    assert names(product_search(query="shatterproof")) == [by_description.name]


def test_search_matches_word_prefixes_and_plural_forms():
    # given
    bulb("LED bulb A19", description="Dimmable bulbs for living rooms")

    # when / then
    assert names(product_search(query="dimm")) == ["LED bulb A19"]
    assert names(product_search(query="bulbs")) == ["LED bulb A19"]


def test_multi_word_query_needs_every_word():
    # given
    bulb("Warm white LED A19")
    bulb("Cool white LED A19")
    bulb("Warm white halogen")

    # when
    found = names(product_search(query="warm led"))

    # then
    assert found == ["Warm white LED A19"]


def test_name_hits_rank_above_description_hits():
    # given
    in_description = bulb("Aardvark lamp", description="Works like a floodlight outdoors")
    in_name = bulb("Zebra floodlight")

    # when
    found = names(product_search(query="floodlight"))

    # then: name is weighted above description, whatever the alphabetical order
    assert found == [in_name.name, in_description.name]


def test_exact_and_prefix_sku_hits_rank_first():
    # given: the query's words appear in the names of other products too
    bulb("Bulb LED 60", description="led 60 led 60 led 60")
    exact = bulb("Exact one", sku="LED-60")
    prefixed = bulb("Prefixed one", sku="LED-60-4PK")

    # when
    found = names(product_search(query="led-60"))

    # then
    assert found[:2] == [exact.name, prefixed.name]
    assert len(found) == 3


@pytest.mark.parametrize(
    "query",
    [
        '"',
        "'",
        'bulb"',
        "NEAR(bulb led)",
        "bulb OR led",
        "bulb AND NOT",
        "led*",
        "(",
        ")",
        "^",
        ":",
        "bulb:*",
        "!",
        "&",
        "|",
        "<->",
        "\\",
        "%",
        "_",
        "-bulb",
        "a' OR 1=1 --",
        "col:led",
        "{name}: led",
        "led + - ! &",
    ],
)
def test_search_syntax_characters_in_the_query_never_break_it(query):
    # given
    bulb("Plain LED bulb")

    # when
    found = list(product_search(query=query))

    # then: the query is read as words; no error
    assert all(isinstance(p, Product) for p in found)


def test_punctuation_is_read_as_word_separators():
    # given
    bulb("LED bulb", sku="BB-4411")

    # when / then
    assert names(product_search(query="bb/4411!")) == ["LED bulb"]
    assert names(product_search(query="(led) & halogen")) == []  # "&" is no operator: both words must match


def test_query_without_words_and_query_without_hits_give_no_products():
    # given
    bulb("LED bulb")

    # when / then
    assert list(product_search(query="  ")) == []
    assert list(product_search(query="?!*")) == []
    assert list(product_search(query="zeppelin")) == []


def test_over_long_query_is_rejected_with_the_field():
    # when
    with pytest.raises(DomainError) as caught:
        product_search(query="bulb " * 100)

    # then
    assert caught.value.field == "q"
    assert caught.value.code == "query_too_long"


def test_inactive_products_are_not_found():
    # given
    bulb("Retired bulb", is_active=False)

    # when / then
    assert list(product_search(query="retired")) == []


def test_the_index_follows_product_changes_and_deletes():
    # given
    product = bulb("Original name")

    # when
    product.name = "Renamed spotlight"
    product.save()

    # then
    assert names(product_search(query="spotlight")) == ["Renamed spotlight"]
    assert list(product_search(query="original")) == []

    # when
    product.variants.all().delete()
    product.delete()

    # then
    assert list(product_search(query="spotlight")) == []


def test_reindex_follows_variant_changes():
    # given
    product = bulb("Globe")
    Variant.objects.create(product=product, sku="GLB-NEW-1", name="Smart", attributes={"protocol": "Zigbee"})

    # when
    product_reindex(product=product)

    # then
    assert names(product_search(query="zigbee")) == ["Globe"]


def test_search_index_rebuild_restores_stale_documents():
    # given: a document changed behind the services' back
    product = bulb("Globe", attributes={"finish": "frosted"})
    Product.objects.filter(id=product.id).update(search_document="")
    assert list(product_search(query="frosted")) == []

    # when
    changed = search_index_rebuild()

    # then
    assert changed == 1
    assert names(product_search(query="frosted")) == ["Globe"]


def test_listing_with_query_and_category_includes_sub_categories_only():
    # given
    lamps = make_category(name="Lamps")
    desk = make_category(name="Desk lamps", parent=lamps)
    other = make_category(name="Other")
    bulb("Desk LED", category=desk)
    bulb("Floor LED", category=lamps)
    bulb("Garage LED", category=other)

    # when
    found = names(products_for_listing(category=lamps, query="led"))
    everything = names(products_for_listing(category=lamps))

    # then
    assert sorted(found) == ["Desk LED", "Floor LED"]
    assert everything == ["Desk LED", "Floor LED"]


def test_search_result_count_and_paging_work_on_the_ranked_queryset():
    # given
    for i in range(7):
        bulb(f"Spot {i}")

    # when
    results = product_search(query="spot")

    # then
    assert results.count() == 7
    assert len(list(results[2:5])) == 3


def test_full_text_index_exists_for_this_database():
    # then: PostgreSQL has the GIN index, SQLite the FTS5 table and its three triggers
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT indexdef FROM pg_indexes WHERE indexname = 'catalog_product_search_gin'")
            (definition,) = cursor.fetchone()
            assert "gin" in definition.lower()
            assert "to_tsvector" in definition
        else:
            cursor.execute("SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'catalog_product'")
            triggers = {row[0] for row in cursor.fetchall()}
            assert triggers == {"catalog_product_fts_ai", "catalog_product_fts_ad", "catalog_product_fts_au"}
