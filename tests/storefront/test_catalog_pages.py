from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from autosales.catalog.services import product_reindex
from autosales.inventory.models import StockLevel
from autosales.pricing.models import Price, PriceList
from tests.factories import make_category, make_member, make_organization, make_product

pytestmark = pytest.mark.django_db


def html(response) -> str:
    return response.content.decode()


def queries_for(client, url) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx.captured_queries)


def test_home_shows_top_categories_and_featured_products(client):
    # given
    lamps = make_category(name="Lamps")
    make_category(name="Desk lamps", parent=lamps)
    make_product(name="Featured globe", category=lamps, is_featured=True, price="4.50")
    make_product(name="Ordinary globe", category=lamps)

    # when
    response = client.get(reverse("storefront:home"))

    # then
    page = html(response)
    assert response.status_code == 200
    assert "Lamps" in page and "Desk lamps" in page
    assert "Featured products" in page
    assert "Featured globe" in page and "$4.50" in page
    assert "Ordinary globe" not in page


def test_home_shows_newest_products_when_none_is_featured(client):
    # given
    make_product(name="Brand new bulb")

    # when
    page = html(client.get(reverse("storefront:home")))

    # then
    assert "New in the catalog" in page and "Brand new bulb" in page


def test_category_page_lists_products_of_its_sub_categories_and_links_them(client):
    # given
    lamps = make_category(name="Lamps", slug="lamps")
    desk = make_category(name="Desk lamps", slug="desk-lamps", parent=lamps)
    make_product(name="Banker lamp", category=desk)
    make_product(name="Arc floor lamp", category=lamps)
    make_product(name="Garage tube", category=make_category())

    # when
    response = client.get(reverse("storefront:category", args=["lamps"]))

    # then
    page = html(response)
    assert "Banker lamp" in page and "Arc floor lamp" in page
    assert "Garage tube" not in page
    assert reverse("storefront:category", args=["desk-lamps"]) in page
    assert page.index("Arc floor lamp") < page.index("Banker lamp")  # by name


def test_category_page_shows_breadcrumbs(client):
    # given
    lamps = make_category(name="Lamps", slug="lamps")
    make_category(name="Desk lamps", slug="desk-lamps", parent=lamps)

    # when
    page = html(client.get(reverse("storefront:category", args=["desk-lamps"])))

    # then
    assert 'aria-label="Breadcrumb"' in page
    assert reverse("storefront:category", args=["lamps"]) in page


def test_category_page_is_paginated(client):
    # given
    category = make_category(slug="bulbs")
    for i in range(30):
        make_product(name=f"Bulb {i:02d}", category=category)
    url = reverse("storefront:category", args=["bulbs"])

    # when
    first = html(client.get(url))
    second = html(client.get(url, {"page": 2}))
    beyond = client.get(url, {"page": 99})
    junk = client.get(url, {"page": "x"})

    # then
    assert "Bulb 00" in first and "Bulb 24" not in first
    assert "Bulb 24" in second and "Bulb 29" in second and "Bulb 00" not in second
    assert "Page 2 of 2" in second
    assert beyond.status_code == 200 and junk.status_code == 200


@pytest.mark.parametrize(("products", "pages"), [(1, 1), (24, 1), (25, 2)])
def test_a_category_counts_its_products_whether_or_not_they_fit_on_the_first_page(client, products, pages):
    # given
    category = make_category(slug="bulbs")
    for i in range(products):
        make_product(name=f"Bulb {i:02d}", category=category)

    # when
    first = html(client.get(reverse("storefront:category", args=["bulbs"])))

    # then
    assert f"{products} product{'' if products == 1 else 's'}" in first
    assert (f"Page 1 of {pages}" in first) == (pages > 1)
    assert first.count('<li class="product-card">') == min(products, 24)


def test_unknown_category_and_product_are_404(client):
    assert client.get(reverse("storefront:category", args=["nope"])).status_code == 404
    assert client.get(reverse("storefront:product", args=["nope"])).status_code == 404


def test_inactive_product_page_is_404(client):
    # given
    product = make_product(is_active=False)

    # when / then
    assert client.get(reverse("storefront:product", args=[product.slug])).status_code == 404


def test_search_lists_ranked_results_and_keeps_the_query_in_the_box(client):
    # given
    make_product(name="Aardvark lamp", description="a floodlight for the yard")
    make_product(name="Zebra floodlight")

    # when
    response = client.get(reverse("storefront:search"), {"q": "floodlight"})

    # then
    page = html(response)
    assert response.status_code == 200
    assert "2 results" in page
    assert page.index("Zebra floodlight") < page.index("Aardvark lamp")
    assert 'value="floodlight"' in page


def test_search_without_hits_says_so(client):
    # given
    make_product(name="Globe")

    # when
    response = client.get(reverse("storefront:search"), {"q": "zeppelin"})

    # then
    assert response.status_code == 200
    assert "No products match" in html(response)


@pytest.mark.parametrize("query", ["", "   "])
def test_empty_search_asks_for_words(client, query):
    response = client.get(reverse("storefront:search"), {"q": query})
    assert response.status_code == 200
    assert "Type a product name" in html(response)


def test_over_long_search_is_a_400_with_the_reason(client):
    # when
    response = client.get(reverse("storefront:search"), {"q": "x" * 500})

    # then
    assert response.status_code == 400
    assert "at most 200 characters" in html(response)


@pytest.mark.parametrize("query", ['"unbalanced', "NEAR(a b)", "a:* & !b", "' OR 1=1 --", "<script>"])
def test_search_syntax_in_the_query_is_never_a_500(client, query):
    # given
    make_product(name="Globe")

    # when
    response = client.get(reverse("storefront:search"), {"q": query})

    # then
    assert response.status_code == 200
    assert "<script>" not in html(response)


def test_search_is_paginated_and_page_links_keep_the_query(client):
    # given
    for i in range(26):
        make_product(name=f"Spot {i:02d}")

    # when
    page = html(client.get(reverse("storefront:search"), {"q": "spot"}))

    # then
    assert "26 results" in page
    assert "?q=spot&amp;page=2" in page


def product_with_two_variants():
    category = make_category(name="LED bulbs")
    product = make_product(name="A19 LED bulb", slug="a19-led", category=category, variants=2, price="3.99", stock=40)
    first, second = product.variants.order_by("position")
    first.sku, first.name = "A19-60W-27K", "60 W equivalent, 2700 K"
    first.attributes = {"wattage": "9 W", "base": "E26", "colour_temperature": "2700 K"}
    first.save()
    second.sku, second.name = "A19-60W-50K-4PK", "60 W equivalent, 5000 K, 4-pack"
    second.attributes = {"wattage": "9 W", "base": "E26", "colour_temperature": "5000 K", "pack_size": 4}
    second.save()
    Price.objects.filter(variant=second).update(amount=Decimal("13.49"))
    StockLevel.objects.filter(variant=second).update(on_hand=3)
    product_reindex(product=product)
    return product, first, second


def test_product_page_shows_variants_with_attributes_price_and_availability(client):
    # given
    product, _, _ = product_with_two_variants()

    # when
    response = client.get(reverse("storefront:product", args=[product.slug]))

    # then
    page = html(response)
    assert response.status_code == 200
    assert "A19 LED bulb" in page
    for text in ["A19-60W-27K", "A19-60W-50K-4PK", "Colour temperature", "Pack size", "2700 K", "5000 K", "E26"]:
        assert text in page
    assert "$3.99" in page and "$13.49" in page
    # in words to the public: no exact counts
    assert ">In stock<" in page and "(40)" not in page
    assert ">Only a few left<" in page


def test_product_page_shows_out_of_stock_and_price_on_request(client):
    # given
    product = make_product(name="Rare bulb", stock=0)
    Price.objects.filter(variant__product=product).delete()

    # when
    page = html(client.get(reverse("storefront:product", args=[product.slug])))

    # then
    assert "Out of stock" in page
    assert "Price on request" in page


def test_product_page_shows_the_signed_in_customers_own_price(client):
    # given
    product, first, _ = product_with_two_variants()
    organization = make_organization(name="Acme Facilities")
    special = PriceList.objects.create(name="Acme")
    special.organizations.add(organization)
    Price.objects.create(price_list=special, variant=first, amount=Decimal("2.75"))
    buyer = make_member(organization=organization)
    url = reverse("storefront:product", args=[product.slug])

    # when
    anonymous = html(client.get(url))
    client.force_login(buyer)
    signed_in = html(client.get(url))

    # then
    assert "$3.99" in anonymous and "$2.75" not in anonymous
    # and the customer's own price stands beside the list price, which it sees only there ("list $3.99 · your price")
    assert "$2.75" in signed_in and signed_in.count("$3.99") == 1
    assert 'list <s>$3.99</s></span> · <span class="your-price">your price <strong>$2.75</strong>' in signed_in


def test_product_cards_show_lowest_price_and_total_availability(client):
    # given
    product_with_two_variants()

    # when
    page = html(client.get(reverse("storefront:search"), {"q": "a19"}))

    # then
    assert "from $3.99" in page
    assert ">In stock<" in page and "(43)" not in page
    # a signed-in business customer sees the units
    client.force_login(make_member())
    assert "In stock (43)" in html(client.get(reverse("storefront:search"), {"q": "a19"}))


def test_list_pages_take_a_constant_number_of_queries(client):
    # given: 3 products, then 30 more (a page and a half), then 30 more
    category = make_category(slug="bulbs")
    for i in range(3):
        make_product(name=f"Bulb {i}", category=category, variants=2, is_featured=True)
    buyer = make_member()
    client.force_login(buyer)
    urls = [
        reverse("storefront:home"),
        reverse("storefront:category", args=["bulbs"]),
        reverse("storefront:search") + "?q=bulb",
    ]
    few = [queries_for(client, url) for url in urls]

    # when
    for i in range(30):
        make_product(name=f"Bulb more {i}", category=category, variants=3, is_featured=True)
    many = [queries_for(client, url) for url in urls]
    for i in range(30):
        make_product(name=f"Bulb even more {i}", category=category, variants=3, is_featured=True)
    more = [queries_for(client, url) for url in urls]

    # then past a page the count stays the same; a list that fits on one page skips the COUNT query
    assert more == many
    assert few == [many[0], many[1] - 1, many[2] - 1]


def test_product_page_takes_a_constant_number_of_queries(client):
    # given
    few = make_product(variants=2)
    many = make_product(variants=25)
    # a running server has the centers' calendars and the cheapest shipping method cached from another page
    client.get(reverse("storefront:product", args=[make_product().slug]))

    # when / then
    assert queries_for(client, reverse("storefront:product", args=[few.slug])) == queries_for(
        client, reverse("storefront:product", args=[many.slug])
    )


def test_header_links_to_the_categories_page(client):
    # given
    make_category(name="Tubes")

    # when
    home = html(client.get(reverse("storefront:home")))
    categories = html(client.get(reverse("storefront:categories")))

    # then
    assert reverse("storefront:categories") in home
    assert "Tubes" in categories
