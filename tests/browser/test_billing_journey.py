"""A buyer on credit hold in a real browser: sees the overdue invoice, pays it by card, the hold lifts, and
checking out on account works again."""

import datetime as dt
import re

from playwright.sync_api import expect

from autosales.billing.dunning import credit_holds_review
from autosales.billing.issuing import invoice_issue_for_order
from autosales.billing.models import Invoice
from autosales.core import clock
from autosales.customers.models import Organization
from autosales.orders.models import Order, OrderStatus
from tests.factories import (
    make_account_order,
    make_address,
    make_category,
    make_member,
    make_organization,
    make_product,
    make_shipping_method,
)


def test_an_overdue_invoice_paid_by_card_lifts_the_hold_and_account_checkout_works_again(page, sign_in, settings):
    settings.BILLING_CREDIT_HOLD_AFTER_DAYS = 10
    organization = make_organization(name="Late Payers Inc", has_account_terms=True, credit_limit=5000)
    make_address(organization=organization, label="Main warehouse", is_default=True)
    buyer = make_member(organization=organization, username="latebuyer")
    make_product(name="Globe bulb", slug="globe-bulb", category=make_category(), price="4.00", stock=50)
    make_shipping_method(name="Ground", code="ground")
    # an invoice issued 45 days ago (net 30): 15 days overdue, so the account is put on hold
    with clock.frozen_at(clock.now() - dt.timedelta(days=45)):
        invoice = invoice_issue_for_order(order=make_account_order(organization=organization))
    credit_holds_review(today=clock.today(settings.SHOP_TIME_ZONE))
    assert Organization.objects.get(pk=organization.pk).credit_hold

    sign_in(page, buyer)
    page.goto("/account/invoices/")
    expect(page.get_by_role("alert")).to_contain_text("credit hold")
    page.get_by_role("link", name="Overdue").click()
    expect(page.locator("table.lines")).to_contain_text(invoice.number)

    page.get_by_role("link", name="Pay open invoices by card").click()
    expect(page.get_by_label(invoice.number)).to_be_checked()
    page.get_by_label("Card token").fill("tok_approve")
    page.get_by_role("button", name="Pay now").click()
    expect(page.locator(".messages")).to_contain_text("paid by card")
    expect(page.get_by_role("alert")).to_have_count(0)
    assert Invoice.objects.get(pk=invoice.pk).status == "paid"

    # and checkout on account works again
    page.goto("/p/globe-bulb/")
    page.get_by_role("button", name="Add to cart").click()
    page.goto("/checkout/")
    page.get_by_role("button", name="Continue to shipping").click()
    page.get_by_role("button", name="Continue to payment").click()
    page.get_by_label(re.compile("Charge to my account")).check()
    page.get_by_role("button", name="Review the order").click()
    page.get_by_role("button", name=re.compile("Confirm the order")).click()
    expect(page).to_have_url(re.compile(r"/orders/[0-9a-z]+/confirmation/$"))
    assert Order.objects.get(placed_by=buyer).status == OrderStatus.ON_ACCOUNT
