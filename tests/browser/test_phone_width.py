"""Every main page fits a 390-px phone screen: the page itself never scrolls sideways (a wide table scrolls
inside its own box). Measured in a real browser as `document.scrollingElement.scrollWidth`."""

import datetime as dt
import re

from playwright.sync_api import expect

from autosales.billing.issuing import invoice_issue_for_order
from autosales.core import clock
from tests.factories import (
    make_category,
    make_checkout,
    make_contact,
    make_member,
    make_staff,
    make_task,
    place_test_order,
)
from tests.recurring.conftest import make_standing_order

PHONE = {"width": 390, "height": 844}
NOW = dt.datetime(2027, 1, 25, 18, 0, tzinfo=dt.UTC)

STORE_PAGES = [
    "/",
    "/c/{category}/",
    "/p/{product}/",
    "/search/?q=bulb",
    "/cart/",
    "/orders/",
    "/orders/{order}/",
    "/account/organization/",
    "/account/addresses/",
    "/account/invoices/",
    "/standing-orders/",
    "/standing-orders/new/",
    "/standing-orders/{standing_order}/",
]
BACK_OFFICE_PAGES = [
    "/backoffice/",
    "/backoffice/orders/",
    "/backoffice/orders/{order}/",
    "/backoffice/standing-orders/",
    "/backoffice/jobs/",
    "/backoffice/outbox/",
    "/backoffice/crm/",
    "/backoffice/crm/customers/",
    "/backoffice/crm/customers/{organization}/",
    "/backoffice/fulfillment/",
    "/backoffice/billing/invoices/",
    "/backoffice/billing/receivables/",
]


def _shop():
    """A business customer with long names and emails, an order, an invoice, a standing order, a CRM task."""
    clock.set_now(NOW)
    checkout = make_checkout(
        name="Northwind Facilities Management and Maintenance Services",
        has_account_terms=True,
        credit_limit="100000",
        stock=5000,
        price="12.50",
    )
    checkout.product.name = "Dimmable A19 LED bulb, 75 W equivalent, 3000 K warm white, E26 medium base"
    checkout.product.category = make_category(name="LED A-lamps and general service bulbs")
    checkout.product.save()
    make_member(organization=checkout.organization, email="procurement.department.long.address@northwind.example")
    order = place_test_order(checkout, quantity=40, kind="account")
    invoice_issue_for_order(order=order)
    standing_order = make_standing_order(checkout, kind="account")
    make_task(organization=checkout.organization, title="Call about the spring relamping of all three sites")
    make_contact(organization=checkout.organization, email="dana.whitfield.head.of.facilities@northwind.example")
    return checkout, {
        "category": checkout.product.category.slug,
        "product": checkout.product.slug,
        "order": order.public_id,
        "standing_order": standing_order.public_id,
        "organization": checkout.organization.public_id,
    }


def _scroll_width(page) -> int:
    return page.evaluate("document.scrollingElement.scrollWidth")


def _widths(page, paths, ids) -> dict[str, object]:
    """Each page's status, or its scroll width when it answered 200 (one set-up for every page: a fresh one per
    page cost a database each)."""
    widths = {}
    for path in paths:
        response = page.goto(path.format(**ids))
        widths[path] = _scroll_width(page) if response.status == 200 else f"status {response.status}"
    return widths


def _too_wide(widths) -> dict[str, object]:
    return {path: w for path, w in widths.items() if not (isinstance(w, int) and w <= PHONE["width"])}


def test_every_store_page_fits_a_phone(page, sign_in):
    checkout, ids = _shop()
    sign_in(page, checkout.user)
    page.set_viewport_size(PHONE)

    widths = _widths(page, STORE_PAGES, ids)

    assert len(widths) == len(STORE_PAGES)
    assert _too_wide(widths) == {}


def test_every_back_office_page_fits_a_phone(page, sign_in):
    _, ids = _shop()
    sign_in(page, make_staff(username="manager", first_name="Jordan", last_name="Blake", is_superuser=True))
    page.set_viewport_size(PHONE)

    widths = _widths(page, BACK_OFFICE_PAGES, ids)

    assert len(widths) == len(BACK_OFFICE_PAGES)
    assert _too_wide(widths) == {}


def test_every_checkout_step_fits_a_phone(page, sign_in):
    checkout, ids = _shop()
    sign_in(page, checkout.user)
    page.set_viewport_size(PHONE)
    page.goto(f"/p/{ids['product']}/")
    page.get_by_label("Quantity").fill("3")
    page.get_by_role("button", name="Add to cart").click()
    page.goto("/checkout/")

    widths = {}
    for step, button in (
        ("address", "Continue to shipping"),
        ("shipping", "Continue to payment"),
        ("payment", "Review the order"),
        ("review", None),
    ):
        expect(page).to_have_url(re.compile(rf"/checkout/{step}/$"))
        widths[step] = _scroll_width(page)
        if step == "address":
            page.get_by_role("radio", name=re.compile("Main Street")).check()
        if step == "payment":
            page.get_by_label(re.compile("Charge to my account")).check()
        if button:
            page.get_by_role("button", name=button).click()

    assert list(widths) == ["address", "shipping", "payment", "review"]
    assert all(width <= PHONE["width"] for width in widths.values()), widths
