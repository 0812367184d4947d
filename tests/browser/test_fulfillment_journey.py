"""In a real browser: a fulfillment clerk finds an order in the center's queue, prints its pick list, ships part
of it; the customer's shipping email arrives at the SMTP server with a tracking link that opens the carrier's
page for that parcel, and the customer's order page shows the shipment and what is still to come (backordered).

Screenshots for the docs: AUTOSALES_SCREENSHOTS=docs/screenshots writes the queue, the pick list and the ship
form there (`pytest tests/browser/test_fulfillment_journey.py`)."""

import io
import re
from types import SimpleNamespace

from playwright.sync_api import expect
from pypdf import PdfReader

from autosales.checkout.placement import LineRequest
from autosales.inventory.models import StockLevel, Warehouse
from tests.factories import (
    make_address,
    make_member,
    make_organization,
    make_product,
    make_shipping_method,
    make_staff,
    place_test_order,
)

TRACKING = "1Z999AA10123456784"


def test_a_clerk_ships_part_of_an_order_from_the_queue_and_the_customer_follows_it(
    page, sign_in, screenshot, smtp_server
):
    # given a Chicago center with bulbs in bin A-04 (only 3 in stock) and lamps in bin C-11, and a buyer's order
    # of 5 bulbs (2 of them backordered) and 2 lamps, charged to the account
    bulbs = make_product(name="Warm white A19 bulb", slug="a19", stock=3).variants.get()
    lamps = make_product(name="Brass desk lamp", slug="lamp", stock=20).variants.get()
    Warehouse.objects.update(code="CHI", name="Chicago distribution center", time_zone="America/Chicago")
    StockLevel.objects.filter(variant=bulbs).update(bin="A-04")
    StockLevel.objects.filter(variant=lamps).update(bin="C-11")
    organization = make_organization(name="Acme Facilities", has_account_terms=True, credit_limit="5000.00")
    buyer = make_member(organization=organization, username="buyer", email="buyer@acme.test")
    checkout = SimpleNamespace(
        organization=organization,
        user=buyer,
        address=make_address(organization=organization, line1="12 Dock Road"),
        shipping_method=make_shipping_method(name="Ground", code="ground"),
        variant=bulbs,
    )
    order = place_test_order(
        checkout,
        kind="account",
        backorder=True,
        lines=[LineRequest(variant_id=bulbs.pk, quantity=5), LineRequest(variant_id=lamps.pk, quantity=2)],
        customer_reference="PO-2231",
    )
    smtp_server.deliver()  # the order confirmation
    clerk = make_staff(group="fulfillment", username="clara", first_name="Clara")
    sign_in(page, clerk)

    # when the clerk opens the fulfillment queue from the back office
    page.goto("/backoffice/")
    page.get_by_role("link", name="Fulfillment").click()

    # then the order waits at Chicago with what is allocated there, bin by bin
    expect(page.get_by_role("heading", name="Ready to ship from CHI")).to_be_visible()
    row = page.locator("tr", has_text=order.number_display)
    expect(row).to_contain_text(f"3 × {bulbs.sku}")
    expect(row).to_contain_text("bin A-04")
    expect(row).to_contain_text(f"2 × {lamps.sku}")
    screenshot(page, "fulfillment-queue.png")

    # when they tick it and print the pick list
    row.get_by_role("checkbox").check()
    with page.expect_popup() as popup:
        page.get_by_role("button", name="Pick list (PDF)").click()
    pick_list = popup.value
    response = page.request.get(pick_list.url)
    assert response.headers["content-type"] == "application/pdf"
    text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(response.body())).pages)
    assert "Pick list - CHI Chicago distribution center" in text
    assert text.index("A-04") < text.index("C-11")
    assert f"{order.number_display} x3" in text and f"{order.number_display} x2" in text
    # Chromium shows the PDF in its viewer; the screenshot is the printed page
    screenshot(pick_list, "fulfillment-pick-list.png", settle_ms=1000)
    pick_list.close()

    # when they open the order and ship 2 of the 3 bulbs and both lamps, with UPS
    page.get_by_role("link", name=order.number_display).click()
    form = page.get_by_role("form", name="Ship from CHI")
    expect(form.get_by_label(f"{bulbs.sku} to ship")).to_have_value("3")
    form.get_by_label(f"{bulbs.sku} to ship").fill("2")
    form.get_by_label("Carrier").select_option(label="UPS")
    form.get_by_label("Tracking number").fill(TRACKING)
    form.get_by_label("Weight (kg)").fill("3.2")
    screenshot(page, "fulfillment-ship.png")
    form.get_by_role("button", name="Ship from CHI").click()

    # then the page confirms the shipment and offers the bulb left at the center
    expect(page.get_by_text(re.compile(r"Shipment SH-.*: 4 units left CHI with UPS"))).to_be_visible()
    expect(page.get_by_role("form", name="Ship from CHI").get_by_label(f"{bulbs.sku} to ship")).to_have_value("1")

    # and the customer's shipping email arrives with the tracking number as a link
    [email] = [m for m in smtp_server.deliver() if m["To"] == "buyer@acme.test"]
    assert f"order {order.number_display} has shipped (in part)" in email["Subject"]
    html = email.get_body(("html",)).get_content()
    link = f"https://www.ups.com/track?tracknum={TRACKING}"
    assert link in html

    # when the customer clicks it, the carrier's tracking page for this parcel opens (ups.com cannot be reached
    # from the test machine: the browser is answered in its place, echoing the parcel asked for)
    page.route(
        "https://www.ups.com/**",
        lambda route: route.fulfill(
            content_type="text/html", body=f"<h1>UPS tracking</h1><p>{route.request.url.split('tracknum=')[1]}</p>"
        ),
    )
    page.set_content(html)
    page.get_by_role("link", name=TRACKING).click()
    expect(page.get_by_role("heading", name="UPS tracking")).to_be_visible()
    expect(page.get_by_text(TRACKING)).to_be_visible()
    assert page.url == link

    # and the customer's order page shows the shipment and what is still to come, with the backorder
    sign_in(page, buyer)
    page.goto(f"/orders/{order.public_id}/")
    shipments = page.locator(".order-shipments")
    expect(shipments).to_contain_text("Shipped")
    expect(shipments.locator("a.tracking-link")).to_have_attribute("href", link)
    expect(shipments).to_contain_text("2 × Warm white A19 bulb")
    still = shipments.locator("table.to-come")
    expect(still).to_contain_text("1 ready to ship")
    expect(still).to_contain_text("2 backordered: ships when stock arrives")
