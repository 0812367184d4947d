"""Facets on the category and search pages: plain GET links, shareable URLs, counts, removable filters, a fixed
number of queries; a search for an exact SKU opens its product."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.factories import make_category, make_member, make_product

pytestmark = pytest.mark.django_db


def page(client, url, data=None):
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url, data)
    assert response.status_code == 200, response.status_code
    return response.content.decode(), len(ctx.captured_queries)


def facet_links(html: str, name: str) -> dict[str, tuple[str, str]]:
    """value -> (count, href) of one facet's links."""
    section = re.search(rf'<section class="facet" data-facet="{name}">(.*?)</section>', html, re.S).group(1)
    found = {}
    for href, body in re.findall(r'<a class="facet-value[^"]*" href="([^"]+)"[^>]*>(.*?)</a>', section, re.S):
        value, count = re.search(r"</span> (.*?) <span class=\"facet-count\">\((\d+)\)", body).groups()
        found[value] = (count, href.replace("&amp;", "&"))
    return found


def card_names(html: str) -> list[str]:
    return sorted(re.findall(r'<span class="product-card-name">(.*?)</span>', html))


@pytest.fixture
def lamps():
    category = make_category(slug="lamps", name="Lamps")
    make_product(name="Alpha", category=category, attributes=[{"wattage": "60 W", "base": "E26"}])
    make_product(name="Bravo", category=category, attributes=[{"wattage": "75 W", "base": "E26"}])
    make_product(name="Charlie", category=category, attributes=[{"wattage": "60 W", "base": "E12"}, {"wattage": "9 W"}])
    return category


def test_category_page_lists_facet_values_with_counts_as_links(client, lamps):
    html, _ = page(client, "/c/lamps/")
    assert facet_links(html, "wattage") == {
        "9 W": ("1", "?wattage=9+W"),
        "60 W": ("2", "?wattage=60+W"),
        "75 W": ("1", "?wattage=75+W"),
    }
    assert facet_links(html, "base") == {"E12": ("1", "?base=E12"), "E26": ("2", "?base=E26")}


def test_following_links_combines_filters_and_the_url_can_be_shared(client, lamps):
    # given a shopper who ticks 60 W, then E26 (following the links as they are)
    html, _ = page(client, "/c/lamps/")
    first = facet_links(html, "wattage")["60 W"][1]
    html, _ = page(client, "/c/lamps/" + first)
    assert card_names(html) == ["Alpha", "Charlie"]
    second = facet_links(html, "base")["E26"][1]
    assert second == "?base=E26&wattage=60+W"

    # when someone else opens that URL
    html, _ = page(client, "/c/lamps/" + second)

    # then they see the same list, the filters shown and each removable
    assert card_names(html) == ["Alpha"]
    assert 'aria-label="Remove filter Wattage: 60 W" ' in html or "Remove filter Wattage: 60 W" in html
    chips = dict(re.findall(r'<a class="facet-chip" href="([^"]+)"[^>]*>([^<]+?) <span', html))
    assert {label: href.replace("&amp;", "&") for href, label in chips.items()} == {
        "Base: E26": "?wattage=60+W",
        "Wattage: 60 W": "?base=E26",
    }
    assert '<a class="facet-clear" href="?">' in html


def test_two_values_of_one_attribute_are_alternatives(client, lamps):
    html, _ = page(client, "/c/lamps/?wattage=75+W&wattage=9+W")
    assert card_names(html) == ["Bravo", "Charlie"]
    # ticking another wattage keeps the others reachable: their counts ignore the wattage choice
    assert facet_links(html, "wattage")["60 W"] == ("2", "?wattage=60+W&wattage=75+W&wattage=9+W")


def test_a_choice_that_leaves_nothing_says_so_and_unknown_parameters_are_ignored(client, lamps):
    html, _ = page(client, "/c/lamps/?wattage=75+W&base=E12")
    assert "No products in this category have all the chosen values" in html
    html, _ = page(client, "/c/lamps/?utm_source=mail&nonsense=1")
    assert card_names(html) == ["Alpha", "Bravo", "Charlie"]


def test_search_page_has_facets_that_keep_the_query(client, lamps):
    html, _ = page(client, "/search/", {"q": "alpha bravo charlie"})
    assert "No products match" in html  # every word must match: none does
    html, _ = page(client, "/search/", {"q": "variant"})
    assert facet_links(html, "base")["E26"] == ("2", "?q=variant&base=E26")
    html, _ = page(client, "/search/", {"q": "variant", "base": "E26"})
    assert card_names(html) == ["Alpha", "Bravo"]


def test_pagination_keeps_the_filters(client):
    category = make_category(slug="many")
    for i in range(30):
        make_product(name=f"Bulb {i:02d}", category=category, attributes=[{"base": "E26"}])
    html, _ = page(client, "/c/many/?base=E26")
    assert 'href="?base=E26&amp;page=2"' in html


@pytest.mark.parametrize("url", ["/c/lamps/?base=E26&wattage=60+W&wattage=75+W", "/search/?q=variant&base=E26"])
def test_a_filtered_page_costs_the_same_queries_for_3_and_for_40_products(client, lamps, url):
    # given a signed-in shopper and the page seen once (built, then cached as on a running server)
    client.force_login(make_member())
    page(client, url)
    _, few = page(client, url)

    # when 40 more products with more values come (the page is built again, then cached)
    for i in range(40):
        make_product(
            name=f"More {i}",
            category=lamps,
            attributes=[{"wattage": f"{i % 9} W", "base": "E26"}, {"wattage": "60 W", "base": "E12", "pack": "4"}],
        )
    page(client, url)
    _, many = page(client, url)

    # then a cached page costs the same, within the page budget (tests/storefront/test_page_query_budget.py)
    assert many == few <= 12


def test_building_a_filtered_page_costs_the_same_whatever_the_rows(client, lamps, settings):
    # the cache is off here: every request builds the list and the facets
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.dummy.DummyCache"}}
    url = "/c/lamps/?base=E26&base=E12&wattage=60+W"
    _, few = page(client, url)
    for i in range(40):
        make_product(name=f"More {i}", category=lamps, attributes=[{"wattage": f"{i % 9} W", "base": "E26"}])
    _, many = page(client, url)
    assert many - few <= 1  # only the COUNT once the list runs past one page


def test_a_search_for_an_exact_sku_opens_that_variant_on_its_product_page(client):
    # given
    product = make_product(name="Par lamp", attributes=[{"beam": "flood"}, {"beam": "spot"}])
    sku = product.variants.order_by("position").last().sku

    # when
    response = client.get("/search/", {"q": sku.lower()})

    # then
    assert response.status_code == 302
    assert response["Location"] == reverse("storefront:product", args=[product.slug]) + f"?sku={sku}"
    html = client.get(response["Location"]).content.decode()
    assert f'<tr data-sku="{sku}" class="chosen">' in html
    row = html.split(f'data-order-sku="{sku}"', 1)[1].split("</tr>", 1)[0]
    assert 'value="1"' in row  # the order table starts that variant at one


def test_a_search_for_part_of_a_sku_or_an_inactive_sku_lists_results(client):
    product = make_product(name="Par lamp")
    sku = product.variants.get().sku
    assert client.get("/search/", {"q": sku[:-1]}).status_code == 200
    product.variants.update(is_active=False)
    from autosales.catalog.services import product_reindex

    product_reindex(product=product)
    assert client.get("/search/", {"q": sku}).status_code == 200


def test_stock_is_words_to_the_public_and_counts_to_business_customers_when_the_shop_allows(client, settings):
    # given a product with 3 units and a shop that restocks in 5 days
    settings.STOCK_RESTOCK_DAYS = 5
    few = make_product(name="Scarce bulb", stock=3)
    gone = make_product(name="Sold out", stock=0)
    url = reverse("storefront:product", args=[few.slug])

    # then the public reads words, a business customer the units, and nobody a count when the shop says so
    assert ">Only a few left<" in client.get(url).content.decode()
    assert ">Ships in 5 days<" in client.get(reverse("storefront:product", args=[gone.slug])).content.decode()
    client.force_login(make_member())
    assert ">Only 3 left<" in client.get(url).content.decode()
    settings.STOCK_COUNTS_FOR_BUSINESS = False
    assert ">Only a few left<" in client.get(url).content.decode()
    assert ">Only a few left<" in client.get("/search/", {"q": "scarce"}).content.decode()
