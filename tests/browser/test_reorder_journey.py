"""A salesperson's due reorder in a real browser: the reorder rule's call is on their tasks, they open it, call the
customer and log the call, then turn the customer's rhythm into a standing order from the task — filled in with the
predicted item, quantity and interval — and the rule stays quiet from then on."""

import datetime as dt
import re

from playwright.sync_api import expect

from autosales.core import clock
from autosales.crm.automation import automation_run
from autosales.crm.models import Activity, Task
from autosales.recurring.models import StandingOrder
from tests.factories import (
    make_account_order,
    make_address,
    make_organization,
    make_product,
    make_salesperson,
    make_shipping_method,
)

START = dt.datetime(2027, 1, 4, 15, 0, tzinfo=dt.UTC)  # a Monday


def test_a_salesperson_calls_a_customer_due_to_reorder_and_sets_up_a_standing_order(page, sign_in, screenshot):
    # given Northwind, who has ordered 40 T8 tubes every six weeks by hand, the last on May 10
    sales = make_salesperson(username="riley", first_name="Riley", last_name="Morgan")
    northwind = make_organization(name="Northwind", salesperson=sales, has_account_terms=True, credit_limit="100000")
    make_address(organization=northwind, label="Main warehouse", line1="12 Dock Road", is_default=True)
    make_shipping_method(name="Ground", code="ground")
    tubes = make_product(name="T8 tubes", price="4.50", stock=5000).variants.get()
    for day in (0, 42, 84, 126):
        clock.set_now(START + dt.timedelta(days=day))
        make_account_order(organization=northwind, variant=tubes, quantity=40, unit_price="4.50", status="delivered")
    # when the rules run four days before the predicted date (June 21)
    now = START + dt.timedelta(days=164)
    clock.set_now(now)
    assert automation_run(now=now) == 1
    sign_in(page, sales)

    # then the call is on the salesperson's tasks
    page.goto("/backoffice/crm/")
    call = page.get_by_role("link", name=re.compile(r"they usually reorder T8 tubes about now"))
    expect(call).to_have_text("Call Northwind: they usually reorder T8 tubes about now (every 6 weeks, last on May 10)")
    screenshot(page, "reorder-task.png")

    # and Northwind is on the Reorders list, due, with its expected order
    page.get_by_role("navigation", name="CRM").get_by_role("link", name="Reorders").click()
    row = page.locator("table.reorders tbody tr").first
    expect(row).to_contain_text("Northwind")
    expect(row).to_contain_text("due")
    expect(row).to_contain_text("40 ($180.00)")
    screenshot(page, "reorder-list.png")
    page.go_back()

    # when they open it, go to the customer, and log the call
    call.click()
    expect(page.get_by_role("link", name="Set up a standing order")).to_be_visible()
    expect(page.locator("body")).to_contain_text("Offer a standing order: 40 ×")
    task_url = page.url
    page.locator("main").get_by_role("link", name="Northwind").first.click()
    expect(page.locator(".reorder-predictions")).to_contain_text("T8 tubes")
    expect(page.locator(".reorder-predictions")).to_contain_text("6 weeks")
    page.get_by_role("radio", name="Call").check()
    page.get_by_label("Subject").fill("T8 tubes reorder")
    page.get_by_label("Outcome").select_option(label="Talked")
    page.get_by_label("Notes").fill("They want the same every six weeks without having to think of it.")
    page.get_by_role("button", name="Log it").click()
    expect(page.locator("#timeline li").first).to_contain_text("T8 tubes reorder")

    # and convert them to a standing order from the task: the form holds the predicted item and rhythm
    page.goto(task_url)
    page.get_by_role("link", name="Set up a standing order").click()
    expect(page.get_by_role("heading", name="New standing order for Northwind")).to_be_visible()
    expect(page.get_by_label("SKU, row 1")).to_have_value(tubes.sku)
    expect(page.get_by_label("Quantity, row 1")).to_have_value("40")
    expect(page.get_by_label("Weeks, months or a custom rule")).to_have_value("week")
    expect(page.get_by_label("Every how many weeks or months")).to_have_value("6")
    expect(page.get_by_label("First date:")).to_have_value("2027-06-21")
    screenshot(page, "reorder-standing-order.png")
    page.get_by_role("button", name="Save the standing order").click()

    # then the standing order is set up, every six weeks on Mondays from the predicted date
    expect(page).to_have_url(re.compile(r"/backoffice/standing-orders/[0-9a-z]+/$"))
    standing_order = StandingOrder.objects.get(organization=northwind)
    assert standing_order.rule == "FREQ=WEEKLY;INTERVAL=6;BYDAY=MO"
    assert standing_order.start_date == dt.date(2027, 6, 21)
    assert [(line.variant, line.quantity) for line in standing_order.lines.all()] == [(tubes, 40)]
    assert Activity.objects.filter(organization=northwind, kind="call", subject="T8 tubes reorder").exists()

    # and the reorder rule makes no more calls while the standing order covers the tubes
    Task.objects.filter(rule="reorder_due").update(status=Task.Status.DONE)
    later = now + dt.timedelta(days=30)
    clock.set_now(later)
    assert automation_run(now=later) == 0
    assert Task.objects.filter(rule__in=["reorder_due", "lapsing"]).count() == 1
