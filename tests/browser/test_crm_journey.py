"""A salesperson's morning in a real browser: today's tasks, a call logged on the customer's profile with a
follow-up task in the same form, the follow-up's reminder in the app, and the daily digest at the SMTP server."""

import datetime as dt
import re
from zoneinfo import ZoneInfo

from playwright.sync_api import expect

from autosales.core import clock
from autosales.crm.digest import digests_send
from autosales.crm.models import Activity, SalesSettings, Task
from autosales.crm.reminders import reminders_send
from tests.factories import make_contact, make_organization, make_salesperson, make_task

CHICAGO = ZoneInfo("America/Chicago")
MONDAY_8AM = dt.datetime(2027, 3, 1, 8, 0, tzinfo=CHICAGO)


def test_a_salesperson_calls_a_customer_logs_it_with_a_follow_up_and_is_reminded(
    page, sign_in, screenshot, smtp_server
):
    # given a salesperson in Chicago, reminded 15 minutes ahead, with the digest at 7:00, and a call due at 9:00
    clock.set_now(MONDAY_8AM.astimezone(dt.UTC))
    sales = make_salesperson(username="riley", first_name="Riley", last_name="Morgan", email="riley@example.com")
    SalesSettings.objects.create(user=sales, timezone="America/Chicago", reminder_offsets=[15], digest_hour=7)
    harbor = make_organization(name="Harbor View Hotels", salesperson=sales)
    elena = make_contact(
        organization=harbor, name="Elena Garcia", title="Director of engineering", phone="+16175550118"
    )
    make_task(
        organization=harbor,
        owner=sales,
        contact=elena,
        title="Call Elena about the PAR30 budget",
        due_at=dt.datetime(2027, 3, 1, 9, 0, tzinfo=CHICAGO),
        priority=3,
    )
    sign_in(page, sales)

    # when she opens her tasks: the call is due today, with Elena's number
    page.goto("/backoffice/crm/")
    today = page.locator("table.tasks-today")
    expect(today).to_contain_text("Call Elena about the PAR30 budget")
    expect(today).to_contain_text("+1 617-555-0118")
    screenshot(page, "crm-tasks.png")

    # and goes to the customer, calls, and logs the call with a follow-up task, from the keyboard
    today.get_by_role("link", name="Harbor View Hotels").click()
    expect(page.get_by_role("heading", name="Harbor View Hotels")).to_be_visible()
    page.get_by_role("radio", name="Call").check()
    page.get_by_label("Subject").fill("PAR30 budget")
    page.get_by_label("With").select_option(label="Elena Garcia")
    page.get_by_label("Direction").select_option("outbound")
    page.get_by_label("Outcome").select_option(label="Talked")
    page.get_by_label("Minutes").fill("6")
    page.get_by_label("Notes").fill("Budget approved; she wants the revised quote today.")
    page.get_by_label("Follow-up task").check()
    page.get_by_label("Task", exact=True).fill("Send the revised quote")
    page.get_by_label("Kind", exact=True).select_option("email")
    page.get_by_label(re.compile(r"^Due")).fill("2027-03-01T08:30")
    page.get_by_label("Notes").press("Control+Enter")

    # then the call is on the timeline, newest first, and the follow-up is among the open tasks
    expect(page.locator(".messages")).to_contain_text("follow-up “Send the revised quote” is on your tasks")
    first = page.locator("#timeline li").first
    expect(first).to_contain_text("PAR30 budget")
    expect(first).to_contain_text("talked")
    expect(first).to_contain_text("6 min")
    expect(page.get_by_role("link", name="Send the revised quote")).to_be_visible()
    call = Activity.objects.get(kind="call")
    assert (call.contact, call.author, call.duration_minutes) == (elena, sales, 6)
    follow_up = Task.objects.get(title="Send the revised quote")
    assert follow_up.due_at == dt.datetime(2027, 3, 1, 8, 30, tzinfo=CHICAGO) and follow_up.activity == call
    screenshot(page, "crm-profile.png")

    # when the reminder job runs a quarter of an hour before the follow-up is due
    clock.set_now(dt.datetime(2027, 3, 1, 8, 16, tzinfo=CHICAGO).astimezone(dt.UTC))
    assert reminders_send() == 1
    assert reminders_send() == 0

    # then she sees it in the back office and opens the task from it
    page.goto("/backoffice/notifications/")
    expect(page.locator(".backoffice-nav .badge")).to_have_text("1")
    expect(page.locator("table.bo-table")).to_contain_text("Email: Send the revised quote")
    page.get_by_role("button", name="Open").first.click()
    expect(page).to_have_url(re.compile(rf"/backoffice/crm/tasks/{follow_up.public_id}/$"))

    # and the day's digest reaches her mailbox: today's tasks, once
    assert digests_send() == 1 and digests_send() == 0
    messages = smtp_server.deliver()
    digest = next(m for m in messages if m["Subject"].startswith("Your day"))
    assert digest["To"] == "riley@example.com"
    text = digest.get_body(preferencelist=("plain",)).get_content()
    assert "Call Elena about the PAR30 budget" in text and "Send the revised quote" in text
    reminder = next(m for m in messages if m["Subject"].startswith("Reminder: Send the revised quote"))
    assert reminder["To"] == "riley@example.com"
