"""A customer's buyer browses the store in a real browser; half an hour later their salesperson finds the visit
summed up as one entry on the customer's timeline."""

import datetime as dt

from playwright.sync_api import expect

from autosales.core import clock
from autosales.crm.store_visits import store_visits_close
from tests.factories import make_checkout, make_product, make_salesperson

AFTERNOON = dt.datetime(2027, 3, 2, 20, 2, tzinfo=dt.UTC)  # 14:02 in Chicago


def test_a_buyers_store_visit_lands_on_the_timeline_as_one_entry(page, sign_in):
    # given a salesperson's customer whose buyer has a store login
    clock.set_now(AFTERNOON)
    sales = make_salesperson(username="riley")
    checkout = make_checkout(stock=50, name="Harbor View Hotels", timezone="America/Chicago", salesperson=sales)
    checkout.user.first_name, checkout.user.last_name = "Dana", "Lee"
    checkout.user.save()
    other = make_product(name="A19 LED 2700K", stock=5)

    # when the buyer looks around the store: home, a search, two products
    sign_in(page, checkout.user)
    page.goto("/")
    page.goto("/search/?q=LED")
    page.goto(f"/p/{other.slug}/")
    clock.set_now(AFTERNOON + dt.timedelta(minutes=17))
    page.goto(f"/p/{checkout.product.slug}/")
    expect(page.get_by_role("heading", name=checkout.product.name)).to_be_visible()

    # and the visit has been idle for half an hour when the job runs
    clock.set_now(AFTERNOON + dt.timedelta(minutes=50))
    assert store_visits_close() == 1

    # then the salesperson sees one entry for the whole visit on the customer's timeline
    page.context.clear_cookies()
    sign_in(page, sales)
    page.goto(f"/backoffice/crm/customers/{checkout.organization.public_id}/?kind=store_visit")
    entries = page.locator("#timeline li.store_visit")
    expect(entries).to_have_count(1)
    expect(entries.first).to_contain_text(
        f"Dana Lee (Harbor View Hotels) viewed 4 pages, 2 products: A19 LED 2700K, {checkout.product.name}, 14:02–14:19"
    )
    expect(entries.first).to_contain_text("Searched for: “LED”")
