"""GET /api/v1/products and /api/v1/products/{slug}: the public catalog with the caller's prices."""

from decimal import Decimal

import pytest
from django.db import connection
from django.db.models import F
from django.test.utils import CaptureQueriesContext

from autosales.catalog.models import Variant
from autosales.catalog.services import product_reindex
from autosales.core.cache_versions import CATALOG, versions_bump
from autosales.customers.tokens import token_create
from autosales.inventory.models import StockLevel
from autosales.pricing.models import Price, PriceList
from tests.factories import make_category, make_member, make_product, make_user, make_warehouse

pytestmark = pytest.mark.django_db

LIST = "/api/v1/products"


def _special_price(organization, variant, amount: str) -> None:
    special = PriceList.objects.create(name=f"Special {organization.pk}")
    special.organizations.add(organization)
    Price.objects.create(price_list=special, variant=variant, amount=Decimal(amount))


def test_the_list_is_public_and_paginated_by_name(client):
    # given five products
    category = make_category(slug="bulbs", name="Bulbs")
    for name in ["Edison", "Candle", "Arc", "Dome", "Beam"]:
        make_product(name=name, category=category, brand="Lumo")
    # when an anonymous caller asks for page 2 of 2 per page
    response = client.get(f"{LIST}?page=2&page_size=2")
    # then it gets the 3rd and 4th by name, the total and the next page's URL
    assert response.status_code == 200, response.content
    body = response.json()
    assert [p["name"] for p in body["items"]] == ["Candle", "Dome"]
    assert (body["count"], body["page"], body["page_size"]) == (5, 2, 2)
    assert body["next"] == "http://testserver/api/v1/products?page=3&page_size=2"
    item = body["items"][0]
    assert item["category"] == {"slug": "bulbs", "name": "Bulbs"}
    assert item["brand"] == "Lumo"
    assert item["price_from"] == {"amount": "9.99", "currency": "USD"}
    assert item["in_stock"] is True
    # and the last page has no next
    assert client.get(f"{LIST}?page=3&page_size=2").json()["next"] is None


def test_search_ranks_matches_and_keeps_the_query_in_the_next_link(client):
    # given bulbs of which three mention "filament"
    category = make_category()
    for i in range(3):
        make_product(name=f"Filament globe {i}", category=category)
    make_product(name="LED panel", category=category)
    # when searching for "filament", one per page
    body = client.get(f"{LIST}?q=filament&page_size=1").json()
    # then only the matches count and the next link searches the same
    assert body["count"] == 3
    assert body["items"][0]["name"].startswith("Filament globe")
    assert "q=filament" in body["next"] and "page=2" in body["next"]


def test_search_finds_a_product_by_sku(client):
    product = make_product(name="Plain name")
    make_product(name="Other")
    sku = product.variants.get().sku
    body = client.get(LIST, {"q": sku}).json()
    assert body["items"][0]["slug"] == product.slug


def test_the_category_filter_includes_sub_categories(client):
    # given a category with a sub-category, and a product elsewhere
    lamps = make_category(slug="lamps")
    desk = make_category(slug="desk-lamps", parent=lamps)
    make_product(name="Floor lamp", category=lamps)
    make_product(name="Desk lamp", category=desk)
    make_product(name="Bulb", category=make_category(slug="bulbs"))
    # when filtering by the parent category
    body = client.get(f"{LIST}?category=lamps").json()
    # then both lamps, not the bulb
    assert sorted(p["name"] for p in body["items"]) == ["Desk lamp", "Floor lamp"]
    assert [p["name"] for p in client.get(f"{LIST}?category=desk-lamps").json()["items"]] == ["Desk lamp"]


def test_inactive_products_and_variants_are_hidden(client):
    make_product(name="Gone", is_active=False)
    product = make_product(name="Here", variants=2)
    Variant.objects.filter(product=product, position=1).update(is_active=False)
    product_reindex(product=product)
    body = client.get(LIST).json()
    assert [p["name"] for p in body["items"]] == ["Here"]
    assert len(body["items"][0]["variants"]) == 1


def test_the_detail_has_variants_attributes_price_and_availability(client):
    # given a product with two variants, described by attributes, one of them sold out
    product = make_product(slug="a19", name="A19 LED", variants=2, description="Warm light.", stock=40)
    first, second = product.variants.order_by("position")
    first.attributes = {"wattage": "60 W", "base": "E26"}
    first.save()
    second.attributes = {"wattage": "40 W", "base": "E26"}
    second.min_quantity, second.pack_size = 24, 12
    second.save()
    StockLevel.objects.filter(variant=second).update(on_hand=0)
    Price.objects.filter(variant=second).update(amount=Decimal("7.50"))
    product_reindex(product=product)
    # when an anonymous caller reads it
    response = client.get("/api/v1/products/a19")
    # then it sees list prices, attributes, and stock states without quantities
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["description"] == "Warm light."
    assert body["attributes"] == {"wattage": ["60 W", "40 W"], "base": ["E26"]}
    assert body["price_from"] == {"amount": "7.50", "currency": "USD"}
    assert [v["sku"] for v in body["variants"]] == [first.sku, second.sku]
    assert body["variants"][0] == {
        "sku": first.sku,
        "name": first.name,
        "attributes": {"wattage": "60 W", "base": "E26"},
        "price": {"amount": "9.99", "currency": "USD"},
        "in_stock": True,
        "stock_status": "in_stock",
        "available": None,
        "min_quantity": 1,
        "pack_size": 1,
    }
    # and how each variant is ordered: at least 24, in packs of 12
    assert (body["variants"][1]["min_quantity"], body["variants"][1]["pack_size"]) == (24, 12)
    assert body["variants"][1]["in_stock"] is False
    assert body["variants"][1]["stock_status"] == "out_of_stock"
    assert body["in_stock"] is True


def test_a_business_buyer_sees_its_price_list_and_quantities(client):
    # given a product at 9.99 list and 8.25 for one organization, stock in two warehouses
    buyer = make_member()
    organization = buyer.memberships.get().organization
    product = make_product(slug="a19", price="9.99", stock=5)
    variant = product.variants.get()
    StockLevel.objects.create(warehouse=make_warehouse(code="EAST"), variant=variant, on_hand=7, allocated=2)
    _special_price(organization, variant, "8.25")
    # when the buyer reads it, signed in
    client.force_login(buyer)
    mine = client.get("/api/v1/products/a19").json()
    listed = client.get(LIST).json()["items"][0]
    # then it sees its own price and the units available in all warehouses
    assert mine["variants"][0]["price"] == {"amount": "8.25", "currency": "USD"}
    assert mine["variants"][0]["available"] == 10
    assert listed["price_from"] == {"amount": "8.25", "currency": "USD"}
    # while another customer and an anonymous caller see the list price
    client.force_login(make_member())
    assert client.get("/api/v1/products/a19").json()["variants"][0]["price"]["amount"] == "9.99"
    client.logout()
    assert client.get("/api/v1/products/a19").json()["variants"][0]["price"]["amount"] == "9.99"


def test_a_variant_without_a_price_has_none(client):
    product = make_product(slug="unpriced")
    Price.objects.filter(variant__product=product).delete()
    body = client.get("/api/v1/products/unpriced").json()
    assert body["price_from"] is None
    assert body["variants"][0]["price"] is None


def _list_queries(client, count: int, **headers) -> int:
    category = make_category()
    for _ in range(count):
        make_product(category=category, variants=3)
    url = f"{LIST}?page_size=100&category={category.slug}"
    client.get(url, **headers)  # a first call notes the token's use; measure the calls after it
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, **headers)
    assert response.status_code == 200
    assert len(response.json()["items"]) == count
    return len(queries)


@pytest.mark.parametrize("caller", ["anonymous", "session", "token"])
def test_the_list_takes_the_same_number_of_queries_for_3_or_30_products(client, caller):
    # given a caller of each kind
    headers = {}
    if caller != "anonymous":
        buyer = make_member()
        _special_price(buyer.memberships.get().organization, make_product().variants.get(), "1.00")
        if caller == "session":
            client.force_login(buyer)
        else:
            headers["HTTP_AUTHORIZATION"] = f"Bearer {token_create(user=buyer)}"
    # when listing 3 products of a category, then 30 of another
    few = _list_queries(client, 3, **headers)
    many = _list_queries(client, 30, **headers)
    # then the number of queries does not grow with the rows
    assert few == many


def test_the_detail_takes_a_fixed_number_of_queries(client, django_assert_max_num_queries):
    make_product(slug="big", variants=20)
    client.force_login(make_member())
    with django_assert_max_num_queries(8):
        assert client.get("/api/v1/products/big").status_code == 200


def test_a_staff_member_sees_list_prices_and_quantities(client):
    staff = make_user(is_staff=True)
    make_product(slug="a19", stock=4)
    client.force_login(staff)
    variant = client.get("/api/v1/products/a19").json()["variants"][0]
    assert variant["price"]["amount"] == "9.99"
    assert variant["available"] == 4


def test_a_repeated_search_takes_its_page_from_the_cache_until_the_catalog_changes(client):
    # given three matching products and a caller whose stock counts move between calls
    category = make_category(slug="led", name="LED")
    products = [make_product(name=f"LED bulb {n}", category=category) for n in range(3)]
    for product in products:
        product_reindex(product=product)
    first = client.get(f"{LIST}?q=led&page_size=2")
    assert first.status_code == 200
    # when the same page is asked again after an order took units
    StockLevel.objects.filter(variant__product=products[0]).update(allocated=F("on_hand"))
    with CaptureQueriesContext(connection) as queries:
        again = client.get(f"{LIST}?q=led&page_size=2")
    # then neither the count nor the search runs again, the same products come back, with stock as it is now
    sql = " ".join(q["sql"] for q in queries.captured_queries).upper()
    assert "COUNT(" not in sql and "TS_RANK" not in sql and "TO_TSVECTOR" not in sql
    body, before = again.json(), first.json()
    assert [p["slug"] for p in body["items"]] == [p["slug"] for p in before["items"]]
    assert (body["count"], body["next"]) == (3, before["next"])
    shown = {p["slug"]: p["in_stock"] for p in body["items"]}
    assert shown.get(products[0].slug, False) is False
    # and a change to the catalog is seen at once (its service bumps the catalog's version)
    versions_bump(CATALOG)
    with CaptureQueriesContext(connection) as queries:
        assert client.get(f"{LIST}?q=led&page_size=2").status_code == 200
    assert "COUNT(" in " ".join(q["sql"] for q in queries.captured_queries).upper()
    # and a page past the last is still a 422 naming the page, from the cache or not
    for _ in range(2):
        response = client.get(f"{LIST}?q=led&page_size=2&page=3")
        assert response.status_code == 422 and "page" in response.content.decode()
