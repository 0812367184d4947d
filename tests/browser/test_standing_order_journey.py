"""A business buyer on account terms turns a cart of bulbs into a standing order every two months, charged to
the account, sees the next dates (a weekend one moved to the Monday) and skips the next one, in a real browser.

Screenshot for the docs: AUTOSALES_SCREENSHOTS=docs/screenshots writes standing-order-moved.png there."""

import datetime as dt
import re

from playwright.sync_api import expect

from autosales.core import clock
from autosales.recurring.models import Change, Run, StandingOrder
from tests.factories import (
    make_address,
    make_category,
    make_member,
    make_organization,
    make_product,
    make_shipping_method,
)

NOW = dt.datetime(2027, 1, 25, 18, 0, tzinfo=dt.UTC)  # noon on Monday 25 January 2027 in Chicago


def test_a_buyer_repeats_the_cart_every_two_months_on_account_and_skips_the_next_date(page, sign_in, screenshot):
    # given a bulb in stock, a business customer on Net 30 terms with an address, and a buyer signed in
    clock.set_now(NOW)  # the whole process, the live server's thread included
    product = make_product(
        name="Soft white A19 LED bulb", slug="soft-white-a19", category=make_category(), price="2.50", stock=5000
    )
    organization = make_organization(name="Acme Facilities", has_account_terms=True, credit_limit="100000")
    make_address(organization=organization, label="Main warehouse", line1="12 Dock Road", is_default=True)
    buyer = make_member(organization=organization, username="buyer", email="buyer@acme.test")
    make_shipping_method(name="Ground", code="ground")
    sign_in(page, buyer)

    # when the buyer adds 1,000 bulbs to the cart and chooses "Repeat this order"
    page.goto(f"/p/{product.slug}/")
    page.get_by_label("Quantity").fill("1000")
    page.get_by_role("button", name="Add to cart").click()
    page.locator(".cart-link").click()
    page.get_by_role("link", name="Repeat this order").click()

    # then the form holds the cart's line
    expect(page).to_have_url(re.compile(r"/standing-orders/new/\?from=cart$"))
    expect(page.get_by_label("SKU, row 1")).to_have_value(product.variants.get().sku)
    expect(page.get_by_label("Quantity, row 1")).to_have_value("1000")

    # when they set every 2 months (on the 26th, from tomorrow), weekend dates moved to the next working day, on
    # account, and save
    page.get_by_label("Weeks, months or a custom rule").select_option("month")
    page.get_by_label("Every how many weeks or months").fill("2")
    expect(page.get_by_label("On which day of the month")).to_have_value("26")
    expect(page.get_by_label("First date:")).to_have_value("2027-01-26")
    page.get_by_label("If a date falls on a weekend or holiday, move it to the next working day").check()
    page.get_by_label(re.compile("Charge to my account")).check()
    page.get_by_role("button", name="Save the standing order").click()

    # then they see the next dates, two months apart, each with its estimated total
    expect(page).to_have_url(re.compile(r"/standing-orders/[0-9a-z]+/$"))
    rows = page.locator("table.so-upcoming tbody tr")
    expect(rows).to_have_count(6)
    expect(rows.nth(0)).to_contain_text("Tue, Jan 26, 2027")
    expect(rows.nth(1)).to_contain_text("Fri, Mar 26, 2027")
    expect(rows.nth(0)).to_contain_text("$2,505.00")
    expect(rows.nth(4)).to_contain_text("Mon Sep 27 (moved from Sun Sep 26)")
    expect(page.locator("#so-status")).to_have_text("Active")
    screenshot(page, "standing-order-moved.png")

    # when they skip the next date
    rows.nth(0).get_by_role("button", name="Skip").click()

    # then it is marked skipped (with Un-skip offered) and the date after it is still ordered
    rows = page.locator("table.so-upcoming tbody tr")
    expect(rows.nth(0).locator(".occurrence-status")).to_have_text("Skipped")
    expect(rows.nth(0).get_by_role("button", name="Un-skip")).to_be_visible()
    expect(rows.nth(1).locator(".occurrence-status")).to_have_text("Scheduled")
    expect(page.locator(".so-changes")).to_contain_text("Skipped 2027-01-26")

    standing_order = StandingOrder.objects.get()
    assert standing_order.organization == organization and standing_order.payment_kind == "account"
    assert standing_order.rule == "FREQ=MONTHLY;INTERVAL=2;BYMONTHDAY=26"
    assert standing_order.move_to_working_day
    assert Run.objects.get(standing_order=standing_order).scheduled_for == dt.date(2027, 1, 26)
    assert Change.objects.get(standing_order=standing_order, kind="skipped").actor == buyer


def test_the_standing_order_form_shows_only_what_the_chosen_repeat_needs_in_words(page, sign_in):
    clock.set_now(NOW)
    product = make_product(name="Warm white candle bulb", slug="candle", category=make_category(), stock=500)
    organization = make_organization(name="Acme Facilities", has_account_terms=True, credit_limit="100000")
    make_address(organization=organization, label="Main warehouse", line1="12 Dock Road", is_default=True)
    buyer = make_member(organization=organization, username="buyer", email="buyer@acme.test")
    make_shipping_method(name="Ground", code="ground")
    sign_in(page, buyer)

    page.goto("/standing-orders/new/")
    sentence = page.locator(".so-words")
    unit = page.get_by_label("Weeks, months or a custom rule")
    weekday = page.get_by_label("On which weekday")
    day = page.get_by_label("On which day of the month")
    every = page.get_by_label("Every how many weeks or months")
    advanced = page.locator("details.so-advanced")
    # months by default: "Every 1 month on the 26th", the weekday hidden
    expect(sentence).to_contain_text("Every")
    expect(day).to_be_visible()
    expect(weekday).to_be_hidden()
    expect(unit.locator("option[value=month]")).to_have_text("month")
    # weeks: the weekday instead of the day, and plural words for 2
    unit.select_option("week")
    every.fill("2")
    expect(weekday).to_be_visible()
    expect(day).to_be_hidden()
    expect(unit.locator("option[value=week]")).to_have_text("weeks")
    # a custom rule: the advanced part opens, the sentence's number goes
    expect(advanced).not_to_have_attribute("open", "")
    unit.select_option("custom")
    expect(advanced).to_have_attribute("open", "")
    expect(every).to_be_hidden()
    # back to months, "Every 2 months on the 29th", saved as that rule
    unit.select_option("month")
    day.select_option("29")
    expect(page.get_by_text("The 29th to the 31st fall on the last day of shorter months.")).to_be_visible()
    expect(page.locator(".so-first-date")).to_contain_text("sooner than the 3 days' notice")
    page.get_by_label("SKU, row 1").fill(product.variants.get().sku)
    page.get_by_label("Quantity, row 1").fill("40")
    page.get_by_label(re.compile("Charge to my account")).check()
    page.get_by_role("button", name="Save the standing order").click()

    expect(page).to_have_url(re.compile(r"/standing-orders/[0-9a-z]+/$"))
    expect(page.locator("body")).to_contain_text("Every 2 months on the 29th")
    assert StandingOrder.objects.get().rule == "FREQ=MONTHLY;INTERVAL=2;BYMONTHDAY=28,29;BYSETPOS=-1"
