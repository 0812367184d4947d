"""A shopper's whole journey in a real browser: search, product, cart, sign in, checkout by test card,
and the confirmation number on the page is the one in the email read back from the SMTP server."""

import re

from playwright.sync_api import expect

from autosales.orders.models import Order, OrderStatus
from tests.factories import (
    make_address,
    make_category,
    make_member,
    make_organization,
    make_product,
    make_shipping_method,
    make_tax_rate,
)


def test_search_add_to_cart_check_out_by_card_and_the_confirmation_number_matches_the_email(page, smtp_server):
    # given a bulb in the catalog, a business buyer with an address, a shipping method and Illinois tax
    product = make_product(
        name="Soft white A19 LED bulb", slug="soft-white-a19", category=make_category(), price="3.99", stock=40
    )
    organization = make_organization(name="Acme Facilities")
    make_address(organization=organization, label="Main warehouse", line1="12 Dock Road", is_default=True)
    buyer = make_member(organization=organization, username="buyer", password="s3cret-bulbs", email="buyer@acme.test")
    make_shipping_method(name="Ground", code="ground")
    make_tax_rate(country="US", region="IL", rate_percent="6.25")

    # when the shopper searches, opens the bulb and adds 3 to the cart as a guest
    page.goto("/")
    page.get_by_role("searchbox", name="Search").fill("a19 bulb")
    page.get_by_role("searchbox", name="Search").press("Enter")
    page.get_by_role("link", name=re.compile("Soft white A19 LED bulb")).click()
    page.get_by_label("Quantity").fill("3")
    page.get_by_role("button", name="Add to cart").click()
    expect(page.locator(".cart-link")).to_have_text("Cart (3)")

    # and checks out from the cart, signing in on the way
    page.locator(".cart-link").click()
    expect(page.locator(".cart-lines")).to_contain_text(product.variants.get().sku)
    page.get_by_role("link", name="Check out").click()
    expect(page).to_have_url(re.compile(r"/account/signin/"))
    page.fill("input[name=username]", "buyer")
    page.fill("input[name=password]", "s3cret-bulbs")
    page.locator("form:has(input[name=password]) [type=submit]").click()

    expect(page).to_have_url(re.compile(r"/checkout/address/$"))
    expect(page.get_by_label(re.compile("Main warehouse"))).to_be_checked()
    page.get_by_role("button", name="Continue to shipping").click()
    expect(page.get_by_label(re.compile("Ground"))).to_be_checked()
    page.get_by_role("button", name="Continue to payment").click()
    page.get_by_label("Pay by card now").check()
    page.get_by_label("Card token").fill("tok_approve")
    page.get_by_role("button", name="Review the order").click()

    # then the review shows the total: 3 × $3.99 + $5.00 shipping + 6.25 % tax on the goods
    expect(page.locator(".total")).to_have_text("$17.72")
    page.get_by_role("button", name=re.compile("Confirm the order")).click()

    # and the confirmation page shows the number
    expect(page).to_have_url(re.compile(r"/orders/[0-9a-z]+/confirmation/$"))
    number = page.locator("#confirmation-number").inner_text()
    order = Order.objects.get()
    assert number == order.number_display
    assert order.status == OrderStatus.PAID and order.placed_by == buyer
    expect(page.locator(".cart-link")).to_have_text("Cart (0)")

    # and the email the outbox delivers to the SMTP server carries the same number
    [email] = [m for m in smtp_server.deliver() if m["To"] == "buyer@acme.test"]
    assert number in email["Subject"]
    text = email.get_body(preferencelist=("plain",)).get_content()
    assert number in text
    assert f"/orders/{order.public_id}/" in text
