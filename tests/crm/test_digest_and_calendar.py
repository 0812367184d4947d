"""The daily digest (at the salesperson's local hour, once a day, to a real SMTP server) and the calendar feed
(a secret, revocable URL of their tasks, read back with icalendar)."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from icalendar import Calendar

from autosales.core import clock
from autosales.crm.digest import digests_send
from autosales.crm.models import DigestSent, LoggedEmail, SalesSettings
from autosales.crm.sales_settings import calendar_token_renew
from autosales.jobs.registry import registered_jobs
from autosales.notifications.models import OutboxEmail
from autosales.recurring.models import Run
from tests.factories import make_checkout, make_organization, make_salesperson, make_task, place_test_order
from tests.recurring.conftest import make_standing_order

pytestmark = pytest.mark.django_db

CHICAGO = ZoneInfo("America/Chicago")


def at(day, hour, minute=0):
    return dt.datetime(2027, 3, day, hour, minute, tzinfo=CHICAGO)


def test_the_digest_job_is_registered():
    assert "crm.digest" in registered_jobs()


def test_the_digest_comes_once_a_day_at_the_chosen_local_hour(smtp_server):
    clock.set_now(at(1, 6))
    sales = make_salesperson(email="sally@example.com", first_name="Sally")
    SalesSettings.objects.create(user=sales, timezone="America/Chicago", digest_hour=7)
    checkout = make_checkout(stock=5000, salesperson=sales)
    make_task(
        organization=checkout.organization,
        owner=sales,
        title="Chase the quote",
        due_at=at(1, 6, 30) - dt.timedelta(days=2),
    )
    make_task(organization=checkout.organization, owner=sales, title="Call Elena", due_at=at(1, 10))
    make_task(organization=checkout.organization, owner=sales, title="Next week", due_at=at(8, 10))
    clock.set_now(at(1, 6, 10))
    order = place_test_order(checkout)
    standing_order = make_standing_order(checkout, start=dt.date(2027, 3, 31))
    Run.objects.create(
        standing_order=standing_order,
        scheduled_for=dt.date(2027, 2, 28),
        due_at=clock.now(),
        status=Run.Status.FAILED,
        last_error="The card was declined.",
        processed_at=clock.now(),
    )
    # Someone else's customer is not in Sally's digest.
    colleague = make_salesperson()
    SalesSettings.objects.create(user=colleague, digest_enabled=False)
    other = make_checkout(organization=make_organization(name="Elsewhere Inc", salesperson=colleague))
    place_test_order(other)

    LoggedEmail.objects.create(message_id="waiting@x", logged_by=sales, sent_at=clock.now(), subject="Price list?")
    clock.set_now(at(1, 6, 59))
    assert digests_send() == 0  # not yet 7:00 in Chicago
    sent = []
    for minute in range(0, 24 * 60 * 2, 15):  # two days, every quarter of an hour, twice each
        clock.set_now(at(1, 7) + dt.timedelta(minutes=minute))
        sent.append(digests_send())
        assert digests_send() == 0

    assert sum(sent) == 2 and sent[0] == 1 and sent[24 * 4] == 1  # 7:00 on Monday and on Tuesday
    assert list(DigestSent.objects.values_list("day", flat=True).order_by("day")) == [
        dt.date(2027, 3, 1),
        dt.date(2027, 3, 2),
    ]
    clock.set_now(at(1, 7, 1))
    messages = smtp_server.deliver()
    monday = next(m for m in messages if "Monday, March 1" in m["Subject"])
    assert monday["To"] == "sally@example.com"
    assert "1 overdue, 1 today, 1 failed standing order" in monday["Subject"]
    text = monday.get_body(preferencelist=("plain",)).get_content()
    assert "Chase the quote" in text and "Call Elena" in text and "Next week" not in text
    assert order.number_display in text and "Elsewhere" not in text
    assert "The card was declined." in text
    assert "1 logged email waits in your inbox" in text


def test_no_digest_for_a_salesperson_who_turned_it_off():
    clock.set_now(at(1, 9))
    sales = make_salesperson()
    SalesSettings.objects.create(user=sales, digest_enabled=False)
    assert digests_send() == 0
    assert not OutboxEmail.objects.filter(template="crm/digest").exists()


def test_the_calendar_feed_lists_the_salespersons_tasks_and_can_be_revoked(client):
    clock.set_now(at(1, 9))
    sales = make_salesperson()
    row = SalesSettings.objects.create(user=sales, timezone="America/Chicago")
    organization = make_organization(name="Harbor View Hotels", salesperson=sales)
    task = make_task(organization=organization, owner=sales, title="Call Elena", due_at=at(2, 10))
    make_task(organization=organization, owner=make_salesperson(), title="Someone else's", due_at=at(2, 11))
    url = reverse("backoffice:crm_calendar", args=[row.calendar_token])

    response = client.get(url)  # no sign-in: the secret is the credential

    assert response.status_code == 200 and response["Content-Type"].startswith("text/calendar")
    calendar = Calendar.from_ical(response.content)
    [event] = calendar.walk("VEVENT")
    assert str(event["summary"]) == "Call: Call Elena (Harbor View Hotels)"
    assert event.decoded("dtstart") == at(2, 10)
    assert str(event["uid"]).startswith(f"task-{task.public_id}@")

    calendar_token_renew(user=sales)
    assert client.get(url).status_code == 404
    assert client.get(reverse("backoffice:crm_calendar", args=["guess"])).status_code == 404


def test_the_settings_page_saves_and_names_a_bad_field(client):
    sales = make_salesperson()
    client.force_login(sales)
    url = reverse("backoffice:crm_settings")
    assert "tasks.ics" in client.get(url).content.decode()

    bad = client.post(url, {"timezone": "Mars/Olympus", "reminder_offsets": "60", "digest_hour": "7"})
    ok = client.post(
        url,
        {
            "timezone": "Europe/Berlin",
            "reminder_offsets": "1440, 30",
            "remind_in_app": "on",
            "digest_enabled": "on",
            "digest_hour": "8",
        },
    )

    assert bad.status_code == 400 and "Unknown time zone" in bad.content.decode()
    assert ok.status_code == 302
    row = SalesSettings.objects.get(user=sales)
    assert (row.timezone, row.reminder_offsets, row.remind_by_email, row.digest_hour) == (
        "Europe/Berlin",
        [1440, 30],
        False,
        8,
    )
