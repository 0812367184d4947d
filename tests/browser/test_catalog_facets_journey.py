"""A shopper narrows a category with facet filters in a real browser, with JavaScript off (plain links), shares
the address, removes a filter, and finds a product by its exact SKU.

Screenshot for the docs: AUTOSALES_SCREENSHOTS=docs/screenshots writes catalog-facets.png there."""

import re

import pytest
from playwright.sync_api import expect

from autosales.catalog.images import product_image_add
from tests.catalog.test_product_images import picture
from tests.factories import make_category, make_product


def lamps():
    category = make_category(name="LED lamps", slug="led-lamps")
    make_product(name="Warm A19", category=category, attributes=[{"wattage": "9 W", "base": "E26"}])
    make_product(name="Bright A21", category=category, attributes=[{"wattage": "15 W", "base": "E26"}])
    candle = make_product(name="Candle B11", category=category, attributes=[{"wattage": "5 W", "base": "E12"}])
    make_product(
        name="Twin pack A19", category=category, attributes=[{"wattage": "9 W", "base": "E12"}, {"wattage": "9 W"}]
    )
    product_image_add(product=candle, data=picture(), name="candle.png", alt_text="A candle bulb")
    return candle


def names(page) -> list[str]:
    return sorted(page.locator(".product-card-name").all_inner_texts())


@pytest.fixture
def page_without_js(browser, live_server, transactional_db):
    context = browser.new_context(
        base_url=live_server.url, java_script_enabled=False, viewport={"width": 1280, "height": 900}
    )
    page = context.new_page()
    yield page
    context.close()


def test_a_shopper_filters_a_category_by_attributes_shares_the_link_and_removes_a_filter(
    page_without_js, browser, screenshot
):
    # given a category of four lamps
    lamps()
    page = page_without_js
    page.goto("/c/led-lamps/")
    expect(page.locator(".result-count")).to_have_text("4 products")
    wattage = page.locator("section.facet[data-facet='wattage']")
    expect(wattage.get_by_role("link", name=re.compile(r"9 W \(2\)"))).to_be_visible()

    # when they tick 9 W, then E26
    wattage.get_by_role("link", name=re.compile(r"9 W \(2\)")).click()
    expect(page).to_have_url(re.compile(r"/c/led-lamps/\?wattage=9\+W$"))
    assert names(page) == ["Twin pack A19", "Warm A19"]
    screenshot(page, "catalog-facets.png")
    page.locator("section.facet[data-facet='base']").get_by_role("link", name=re.compile(r"E26 \(1\)")).click()

    # then only the lamp with both is listed, and the filters are shown
    assert names(page) == ["Warm A19"]
    expect(page.locator(".facet-chip")).to_have_count(2)
    shared = page.url

    # when someone else opens the shared address
    other = browser.new_context(java_script_enabled=False).new_page()
    other.goto(shared)
    assert names(other) == ["Warm A19"]
    other.context.close()

    # when the shopper removes the wattage filter
    page.get_by_role("link", name="Remove filter Wattage: 9 W").click()

    # then every E26 lamp is back, and the other wattages are reachable with their counts
    assert names(page) == ["Bright A21", "Warm A19"]
    expect(page).to_have_url(re.compile(r"\?base=E26$"))
    page.get_by_role("link", name="Clear all filters").click()
    expect(page.locator(".result-count")).to_have_text("4 products")


def test_a_search_for_an_exact_sku_opens_the_product_with_that_variant_chosen(page):
    candle = lamps()
    sku = candle.variants.get().sku
    page.goto("/")
    page.get_by_role("searchbox", name="Search").fill(sku)
    page.get_by_role("searchbox", name="Search").press("Enter")
    expect(page).to_have_url(re.compile(rf"/p/{candle.slug}/\?sku={sku}$"))
    expect(page.locator(f"tr[data-sku='{sku}']")).to_have_class("chosen")
    # and the product's picture is shown from its thumbnail
    expect(page.get_by_role("img", name="A candle bulb")).to_be_visible()
    assert page.get_by_role("img", name="A candle bulb").evaluate("img => img.naturalWidth") == 400
