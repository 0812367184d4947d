"""A business buyer orders faster in a real browser: a quick order of 5 SKUs pasted as text (checked as typed
by the page's script, then added at once), ordering a past order again with what changed since, and several
variants added from the product page's table in one submit (a variant sold in packs stepping by the pack, at the
buyer's contract price).

Screenshot for the docs: AUTOSALES_SCREENSHOTS=docs/screenshots writes product-packs.png there."""

import re
from decimal import Decimal

from playwright.sync_api import expect

from autosales.cart.models import CartLine
from autosales.checkout.placement import LineRequest
from autosales.pricing.models import Price, PriceList
from tests.factories import make_category, make_checkout, make_product, place_test_order


def _cart(user) -> dict:
    return dict(CartLine.objects.filter(cart__user=user).values_list("variant__sku", "quantity"))


def test_a_quick_order_of_5_skus_pasted_as_text(page, sign_in):
    # given a buyer and five bulbs in stock
    checkout = make_checkout(stock=100)
    skus = [checkout.variant.sku] + [make_product(stock=100, name=f"Bulb {i}").variants.get().sku for i in range(4)]
    sign_in(page, checkout.user)

    # when they open Quick order and paste five lines, one with a typo
    page.goto("/")
    page.get_by_role("link", name="Quick order").click()
    lines = [f"{sku}\t{n + 1}" for n, sku in enumerate(skus)]
    page.get_by_label("SKU and quantity, one per line").fill("\n".join([*lines[:4], "NO-SUCH-SKU 5"]))

    # then the page checks the lines as typed and names the bad one
    results = page.locator("#quick-order-results")
    expect(results.locator("tr.has-warning")).to_have_text(re.compile("Line 5: SKU: no product has the SKU"))
    expect(results.locator("tr.ok")).to_have_count(4)

    # when they correct it and add the lines
    page.get_by_label("SKU and quantity, one per line").fill("\n".join(lines))
    expect(results.locator("tr.ok")).to_have_count(5)
    page.get_by_role("button", name="Add to cart").click()

    # then the cart holds the five lines
    expect(page).to_have_url(re.compile(r"/cart/$"))
    expect(page.locator(".messages")).to_contain_text("Added 5 lines (15 units).")
    expect(page.locator(".cart-link")).to_have_text("Cart (15)")
    assert _cart(checkout.user) == {sku: n + 1 for n, sku in enumerate(skus)}


def test_order_again_from_the_order_history(page, sign_in):
    # given a past order of two bulbs, one of which costs more now
    checkout = make_checkout(stock=100, price="10.00")
    dearer = make_product(stock=100, price="4.00").variants.get()
    order = place_test_order(
        checkout,
        lines=[LineRequest(variant_id=checkout.variant.pk, quantity=3), LineRequest(variant_id=dearer.pk, quantity=6)],
        customer_reference="PO-5512",
    )
    Price.objects.filter(variant=dearer).update(amount=Decimal("4.50"))
    sign_in(page, checkout.user)

    # when the buyer finds the order by its PO number and chooses Order again
    page.goto("/orders/")
    page.get_by_label("PO number").fill("5512")
    page.get_by_role("button", name="Filter").click()
    row = page.locator("table.lines tbody tr", has_text=order.number_display)
    expect(row.locator("td.po")).to_have_text("PO-5512")
    row.get_by_role("link", name="Order again").click()

    # then the page shows what changed since
    expect(page.locator(f'tr[data-sku="{dearer.sku}"]')).to_contain_text("Price now $4.50, was $4.00.")
    expect(page.locator(f'tr[data-sku="{checkout.variant.sku}"]')).to_contain_text("Unchanged")

    # and adding puts both lines into the cart at today's prices
    page.get_by_role("button", name="Add 2 lines to the cart").click()
    expect(page).to_have_url(re.compile(r"/cart/$"))
    expect(page.locator(".messages")).to_contain_text(f"Added 2 lines of order {order.number_display} to the cart.")
    expect(page.locator(".cart-lines")).to_contain_text("$27.00")
    assert _cart(checkout.user) == {checkout.variant.sku: 3, dearer.sku: 6}


def test_several_variants_from_the_product_pages_table(page, sign_in, screenshot):
    checkout = make_checkout(stock=100)
    checkout.user.first_name, checkout.user.last_name = "Dana", "Lee"
    checkout.user.save()
    product = make_product(variants=3, stock=50, name="Globe bulb G25", category=make_category(name="Globe bulbs"))
    for variant, (sku, name) in zip(
        product.variants.order_by("pk"),
        [("G25-25W", "25 W equivalent"), ("G25-40W", "40 W equivalent"), ("G25-60W", "60 W equivalent")],
        strict=True,
    ):
        variant.sku, variant.name = sku, name
        variant.save()
    skus = ["G25-25W", "G25-40W", "G25-60W"]
    # the second variant is sold in packs of 12, at least 24, at the buyer's contract price
    product.variants.filter(sku=skus[1]).update(pack_size=12, min_quantity=24)
    contract = PriceList.objects.create(name="Contract", currency="USD")
    contract.organizations.add(checkout.organization)
    Price.objects.create(price_list=contract, variant=product.variants.get(sku=skus[1]), amount=Decimal("8.49"))
    sign_in(page, checkout.user)

    page.goto(f"/p/{product.slug}/")
    packed_row = page.locator(f'tr[data-order-sku="{skus[1]}"]')
    expect(packed_row).to_contain_text("Sold in packs of 12 · Minimum order 24")
    expect(packed_row).to_contain_text("list $9.99 · your price $8.49")
    page.get_by_label(f"Quantity of {skus[0]}").fill("4")
    # the browser's arrows step the packed variant from its minimum by whole packs
    packed = page.get_by_label(f"Quantity of {skus[1]}")
    packed.press("ArrowUp")
    packed.press("ArrowUp")
    expect(packed).to_have_value("36")
    page.get_by_label(f"Quantity of {skus[2]}").fill("6")
    screenshot(page, "product-packs.png")
    page.locator("section.variant-order").get_by_role("button", name="Add to cart").click()

    expect(page).to_have_url(re.compile(r"/cart/$"))
    expect(page.locator(".cart-link")).to_have_text("Cart (46)")
    assert _cart(checkout.user) == {skus[0]: 4, skus[1]: 36, skus[2]: 6}

    # and quick order names a line that is not whole packs as it is typed
    page.goto("/quick-order/")
    page.get_by_label("SKU and quantity, one per line").fill(f"{skus[1]} 6")
    expect(page.locator("#quick-order-results tr.has-warning")).to_contain_text(
        f"{skus[1]} is sold in packs of 12: 36 or 48, not 42 (36 already in your cart or on an earlier line)."
    )
