"""In a real browser: the product page says when a bulb ships and arrives, and a business buyer asks for a later
delivery date at checkout, which the order page and the confirmation email repeat."""

import datetime as dt
import re

import pytest
from playwright.sync_api import expect

from autosales.core import clock
from autosales.inventory.models import Warehouse
from autosales.orders.models import Order
from tests.factories import make_address, make_member, make_organization, make_product, make_shipping_method

# Tuesday March 2 2027, 11:46 in Chicago: 2 h 14 min before the 14:00 cut-off.
TUESDAY = dt.datetime(2027, 3, 2, 17, 46, tzinfo=dt.UTC)


@pytest.fixture
def tuesday():
    # The live server answers from another thread: the whole process's clock stands still, not this thread's.
    clock.set_now(TUESDAY)
    yield TUESDAY
    clock.reset()


def test_a_buyer_sees_the_promise_and_orders_for_a_later_date(page, sign_in, smtp_server, tuesday):
    # given a bulb in a Chicago center, a ground method of 1 to 3 days, and a buyer whose company has account terms
    product = make_product(name="Warm white BR30 flood", slug="br30-flood", price="6.50", stock=50)
    Warehouse.objects.update(
        time_zone="America/Chicago", working_days="12345", cutoff_time=dt.time(14, 0), holiday_country="US"
    )
    make_shipping_method(name="Ground", code="ground", transit_days_min=1, transit_days_max=3)
    organization = make_organization(name="Acme Facilities", has_account_terms=True, credit_limit="5000.00")
    make_address(organization=organization, label="Main warehouse", line1="12 Dock Road", is_default=True)
    buyer = make_member(organization=organization, username="buyer", email="buyer@acme.test")
    sign_in(page, buyer)

    # when they open the product
    page.goto(f"/p/{product.slug}/")

    # then it ships today if ordered within the time left to the cut-off, and arrives in the ground window
    expect(page.locator(".delivery-promise")).to_contain_text("Ships today if ordered within 2 h 14 min")
    expect(page.locator(".delivery-promise")).to_contain_text("Arrives Wed, Mar 3 – Fri, Mar 5")

    # when they order 4 and ask for delivery by Friday March 19
    page.get_by_label("Quantity").fill("4")
    page.get_by_role("button", name="Add to cart").click()
    page.goto("/checkout/")
    page.get_by_role("button", name="Continue to shipping").click()
    expect(page.locator(".delivery-promise")).to_contain_text("Arrives Wed, Mar 3 – Fri, Mar 5")
    page.get_by_role("button", name="Continue to payment").click()
    page.get_by_label("Charge to my account").check()
    # the date picker starts at the earliest date that can be promised (the server refuses earlier ones too)
    expect(page.get_by_label("Requested delivery date")).to_have_attribute("min", "2027-03-05")
    page.get_by_label("Requested delivery date").fill("2027-03-19")
    page.get_by_role("button", name="Review the order").click()
    expect(page.locator(".requested-delivery")).to_contain_text("Fri, Mar 19, 2027")
    page.get_by_role("button", name=re.compile("Confirm the order")).click()

    # then the order keeps the date and ships in time for it
    expect(page).to_have_url(re.compile(r"/orders/[0-9a-z]+/confirmation/$"))
    order = Order.objects.get()
    assert order.requested_delivery_date == dt.date(2027, 3, 19) and order.ships_on == dt.date(2027, 3, 16)
    page.goto(order.get_absolute_url())
    expect(page.locator(".order-delivery")).to_contain_text("Requested delivery date: Fri, Mar 19, 2027")
    # and the confirmation email says so too
    clock.advance(dt.timedelta(minutes=1))
    [email] = [m for m in smtp_server.deliver() if m["To"] == "buyer@acme.test"]
    text = email.get_body(preferencelist=("plain",)).get_content()
    assert "Requested delivery date: Fri, Mar 19, 2027" in text and "Ships: Tue, Mar 16, 2027" in text
