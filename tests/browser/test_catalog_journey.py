"""A shopper finds a bulb by search or by category and sees its price and availability, in English and, after
choosing Spanish in the footer, in Spanish (the home page too); a signed-in business buyer sees their own price.

Screenshot for the docs: AUTOSALES_SCREENSHOTS=docs/screenshots writes store-spanish.png there."""

import re
from decimal import Decimal

from playwright.sync_api import expect

from autosales.catalog.services import product_reindex
from autosales.inventory.models import StockLevel
from autosales.pricing.models import Price, PriceList
from tests.factories import make_category, make_member, make_organization, make_product


def a_bulb_in_the_catalog():
    category = make_category(name="LED bulbs", slug="led-bulbs")
    make_product(name="Halogen capsule G9", category=category)
    product = make_product(
        name="Soft white A19 LED bulb",
        slug="soft-white-a19",
        category=category,
        brand="Lumora",
        description="Dimmable, 800 lumens.",
        price="3.99",
        stock=40,
    )
    variant = product.variants.get()
    variant.sku = "A19-60W-27K"
    variant.name = "60 W equivalent, 2700 K"
    variant.attributes = {"wattage": "9 W", "base": "E26", "colour_temperature": "2700 K"}
    variant.save()
    product_reindex(product=product)
    return product, variant


def test_search_for_a_bulb_open_it_and_see_price_and_availability_then_read_it_in_spanish(page, screenshot):
    # given
    a_bulb_in_the_catalog()

    # when: a shopper searches from the home page and opens the result
    page.goto("/")
    page.get_by_role("searchbox", name="Search").fill("a19 bulb")
    page.get_by_role("searchbox", name="Search").press("Enter")
    expect(page.locator(".result-count")).to_have_text(re.compile(r"1 result"))
    page.get_by_role("link", name=re.compile("Soft white A19 LED bulb")).click()

    # then
    expect(page).to_have_url(re.compile(r"/p/soft-white-a19/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Soft white A19 LED bulb")
    row = page.locator("tr[data-sku='A19-60W-27K']")
    expect(row.locator(".price")).to_have_text("$3.99")
    expect(row.locator(".availability")).to_have_text("In stock")  # no exact count to the public
    expect(row).to_contain_text("2700 K")

    # when: they switch the store to Spanish in the footer
    page.get_by_label("Language").select_option("es")
    page.get_by_role("button", name="Change").click()

    # then: the same page reads in Spanish, its money written the Spanish way, and so does the rest of the store
    expect(page).to_have_url(re.compile(r"/p/soft-white-a19/$"))
    expect(page.locator("html")).to_have_attribute("lang", "es")
    expect(row.locator(".price")).to_have_text("3,99\xa0US$")
    page.goto("/")
    expect(page.get_by_role("heading", name="Comprar por categoría")).to_be_visible()
    expect(page.get_by_role("searchbox", name="Buscar")).to_be_visible()
    screenshot(page, "store-spanish.png")


def test_a_signed_in_business_buyer_sees_the_account_price_and_low_stock(page, sign_in):
    # given
    _, variant = a_bulb_in_the_catalog()
    organization = make_organization(name="Acme Facilities")
    special = PriceList.objects.create(name="Acme contract")
    special.organizations.add(organization)
    Price.objects.create(price_list=special, variant=variant, amount=Decimal("2.80"))
    StockLevel.objects.filter(variant=variant).update(on_hand=4)
    sign_in(page, make_member(organization=organization, username="buyer"))

    # when
    page.goto("/search/?q=A19-60W")
    page.get_by_role("link", name=re.compile("Soft white A19 LED bulb")).click()

    # then
    row = page.locator("tr[data-sku='A19-60W-27K']")
    expect(row.locator(".price")).to_have_text("$2.80")
    expect(row.locator(".availability")).to_have_text("Only 4 left")  # business customers see the units


def test_browsing_by_category_reaches_the_product(page):
    # given
    a_bulb_in_the_catalog()

    # when
    page.goto("/")
    page.get_by_role("link", name="Categories").click()
    page.get_by_role("link", name="LED bulbs").first.click()
    page.get_by_role("link", name=re.compile("Soft white A19")).click()

    # then
    expect(page.get_by_role("heading", level=1)).to_have_text("Soft white A19 LED bulb")
    expect(page.get_by_role("navigation", name="Breadcrumb")).to_contain_text("LED bulbs")


def test_signing_in_through_the_form_keeps_the_shopper_on_the_catalog(page, sign_in_with_form):
    # given
    a_bulb_in_the_catalog()
    make_member(username="shopper", first_name="Sam", last_name="Shopper")

    # when
    sign_in_with_form(page, "shopper", "demo")
    page.goto("/p/soft-white-a19/")

    # then
    expect(page.locator(".site-header")).to_contain_text("Sam Shopper")
    expect(page.locator("tr[data-sku='A19-60W-27K'] .price")).to_have_text("$3.99")
