"""Reminders ahead of tasks: each sent exactly once, by email and in the app, never for a completed task, moved
with the task, on the salesperson's wall clock; proven over a simulated week with a re-run at every step and a
clock that jumps."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from autosales.core import clock
from autosales.crm.models import Reminder, SalesSettings, Task
from autosales.crm.reminders import remind_at, reminders_send
from autosales.crm.tasks import task_complete, task_create, task_move
from autosales.jobs.registry import registered_jobs
from autosales.notifications.models import Notification, OutboxEmail
from tests.factories import make_organization, make_salesperson
from tests.suite_runs import once

pytestmark = pytest.mark.django_db

CHICAGO = ZoneInfo("America/Chicago")


def chicago(day, hour, minute=0):
    return dt.datetime(2027, 3, day, hour, minute, tzinfo=CHICAGO).astimezone(dt.UTC)


@once
def test_one_day_before_is_counted_on_the_wall_clock_across_daylight_saving_time():
    # Clocks in Chicago go forward on 14 March 2027: a day before 9:00 on the 14th is 9:00 on the 13th, 23 hours.
    due = dt.datetime(2027, 3, 14, 9, 0, tzinfo=CHICAGO)
    assert remind_at(due_at=due, offset_minutes=1440, zone="America/Chicago") == dt.datetime(
        2027, 3, 13, 9, 0, tzinfo=CHICAGO
    )
    assert remind_at(due_at=due, offset_minutes=15, zone="America/Chicago") == due - dt.timedelta(minutes=15)


def test_the_job_is_registered():
    assert "crm.reminders" in registered_jobs()


def test_a_simulated_week_sends_each_reminder_exactly_once():
    clock.set_now(chicago(1, 2))  # Monday 1 March 2027, 2:00 in Chicago
    sales = make_salesperson(email="sally@example.com")
    SalesSettings.objects.create(user=sales, timezone="America/Chicago", reminder_offsets=[1440, 15])
    organization = make_organization(name="Harbor View Hotels", salesperson=sales)

    def new(title, due, **extra):
        return task_create(organization=organization, actor=sales, title=title, due_at=due, **extra)

    plain = new("Plain", chicago(2, 10))  # Tuesday 10:00
    moved = new("Moved", chicago(3, 15))  # Wednesday 15:00, moved to Thursday on Tuesday afternoon
    completed = new("Completed", chicago(4, 9))  # Thursday 9:00, done on Monday
    new("Daily", chicago(1, 12), recurrence="FREQ=DAILY")  # every day at noon, done each day Mon-Thu
    jumped = new("Jumped", chicago(6, 10))  # Saturday 10:00; the clock jumps from Friday 9:00 to Saturday 9:50
    new("Own offsets", chicago(4, 16), reminder_offsets=[120])  # Thursday 16:00, 2 h before only

    step = dt.timedelta(minutes=15)
    moment = clock.now()
    end = chicago(8, 2)
    sent_total = 0
    while moment <= end:
        clock.set_now(moment)
        if moment == chicago(1, 9):
            task_complete(task=completed, actor=sales)
        if moment == chicago(2, 16):
            task_move(task=Task.objects.get(pk=moved.pk), actor=sales, due_at=chicago(4, 15))
        if moment.astimezone(CHICAGO).hour == 13 and moment.astimezone(CHICAGO).minute == 0:
            open_daily = Task.objects.filter(title="Daily", status="open").order_by("due_at").first()
            if open_daily and open_daily.due_at < moment and moment < chicago(5, 0):
                task_complete(task=open_daily, actor=sales)
        if moment == chicago(5, 9):
            moment = chicago(6, 9, 50)  # the clock jumps (the machine was off)
            clock.set_now(moment)
        sent_total += reminders_send()
        assert reminders_send() == 0  # a re-run at the same moment sends nothing
        moment += step

    def sent(task_title):
        return list(
            Reminder.objects.filter(task__title=task_title, skipped=False)
            .order_by("sent_at")
            .values_list("offset_minutes", "due_at")
        )

    assert sent("Plain") == [(1440, chicago(2, 10)), (15, chicago(2, 10))]
    assert sent("Moved") == [(1440, chicago(3, 15)), (1440, chicago(4, 15)), (15, chicago(4, 15))]
    assert sent("Completed") == []
    # Each day's task is created when the previous one is done (13:00), after its "1 day before" moment; Friday's
    # came while the clock jumped over it, and is overdue by the time it is back.
    assert sent("Daily") == [(15, chicago(d, 12)) for d in (1, 2, 3, 4)]
    assert sent("Jumped") == [(15, chicago(6, 10))]
    assert Reminder.objects.filter(task=jumped, skipped=True).values_list("offset_minutes", flat=True).get() == 1440
    assert sent("Own offsets") == [(120, chicago(4, 16))]

    reminders = Reminder.objects.filter(skipped=False)
    assert sent_total == reminders.count() == 11
    for reminder in reminders:
        assert reminder.remind_at <= reminder.sent_at < reminder.due_at
        assert reminder.sent_at - reminder.remind_at < step or reminder.task_id == jumped.pk
    assert Notification.objects.filter(user=sales).count() == 11
    emails = OutboxEmail.objects.filter(template="crm/task_reminder")
    assert emails.count() == 11 and all(to == ["sally@example.com"] for to in emails.values_list("to", flat=True))
    assert plain.pk and Task.objects.filter(title="Daily").count() == 5


def test_the_reminder_email_reads_in_the_salespersons_zone(settings):
    from autosales.notifications.delivery import outbox_deliver_pass

    clock.set_now(chicago(1, 8))
    sales = make_salesperson(email="sally@example.com")
    SalesSettings.objects.create(user=sales, timezone="America/Chicago", reminder_offsets=[15])
    organization = make_organization(name="Harbor View Hotels", salesperson=sales)
    task_create(organization=organization, actor=sales, title="Call Elena", due_at=chicago(1, 8, 30))
    clock.set_now(chicago(1, 8, 20))

    assert reminders_send() == 1
    outbox_deliver_pass()

    email = OutboxEmail.objects.get(template="crm/task_reminder")
    assert "Call Elena" in email.subject and "08:30" in email.subject
    assert "CST" in email.body_text and "Harbor View Hotels" in email.body_text
    notification = Notification.objects.get(user=sales)
    assert notification.link.endswith(f"/crm/tasks/{Task.objects.get().public_id}/")


def test_no_reminder_when_the_salesperson_turned_them_off():
    clock.set_now(chicago(1, 8))
    sales = make_salesperson()
    SalesSettings.objects.create(user=sales, reminder_offsets=[15], remind_by_email=False, remind_in_app=True)
    organization = make_organization(salesperson=sales)
    task_create(organization=organization, actor=sales, title="Call", due_at=chicago(1, 8, 30))
    clock.set_now(chicago(1, 8, 20))

    reminders_send()

    assert Notification.objects.filter(user=sales).count() == 1
    assert not OutboxEmail.objects.filter(template="crm/task_reminder").exists()
