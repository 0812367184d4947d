"""Workers running the CRM jobs at the same moment (PostgreSQL: real row locks and concurrent commits) still send
each reminder and each digest once, and write each timeline entry once."""

import datetime as dt
import threading

import pytest
from django.db import connection

from autosales.core import clock
from autosales.crm.digest import digests_send
from autosales.crm.models import Activity, DigestSent, Reminder, SalesSettings
from autosales.crm.reminders import reminders_send
from autosales.crm.timeline import timeline_sync
from autosales.notifications.models import Notification, OutboxEmail
from tests.factories import make_checkout, make_organization, make_salesperson, make_task, place_test_order

NOW = dt.datetime(2027, 3, 1, 14, 0, tzinfo=dt.UTC)
WORKERS = 4


def _at_once(job) -> list:
    start = threading.Barrier(WORKERS)
    results, errors = [], []

    def run():
        start.wait()
        try:
            results.append(job())
        except Exception as exc:  # reported below: the test fails on it
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(WORKERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    return results


@pytest.mark.django_db(transaction=True)
def test_workers_at_once_send_a_reminder_and_a_digest_once(on_postgres):
    clock.set_now(NOW - dt.timedelta(hours=1))
    sales = make_salesperson(email="sally@example.com")
    SalesSettings.objects.create(user=sales, reminder_offsets=[15], digest_hour=0)
    organization = make_organization(salesperson=sales)
    make_task(organization=organization, owner=sales, due_at=NOW + dt.timedelta(minutes=10))
    clock.set_now(NOW)

    reminded = _at_once(reminders_send)
    digested = _at_once(digests_send)

    assert sum(reminded) == 1 and Reminder.objects.count() == 1
    assert Notification.objects.filter(user=sales).count() == 1
    assert OutboxEmail.objects.filter(template="crm/task_reminder").count() == 1
    assert sum(digested) == 1 and DigestSent.objects.count() == 1
    assert OutboxEmail.objects.filter(template="crm/digest").count() == 1


@pytest.mark.django_db(transaction=True)
def test_timeline_syncs_at_once_write_each_entry_once(on_postgres):
    checkout = make_checkout(stock=100)
    for _ in range(3):
        place_test_order(checkout)

    _at_once(timeline_sync)

    keys = list(Activity.objects.values_list("source_key", flat=True))
    assert len(keys) == len(set(keys)) == 3


@pytest.mark.django_db(transaction=True)
def test_two_automation_passes_at_once_make_one_task_per_event(on_postgres):
    from autosales.crm.automation import automation_run
    from autosales.crm.models import Task
    from autosales.crm.rules import follow_up_rules_run

    clock.set_now(NOW)
    sales = make_salesperson()
    follow_up_rules_run(now=NOW)  # the rules' cursors start here
    checkouts = [
        make_checkout(stock=100, salesperson=sales, has_account_terms=True, credit_limit=10_000) for _ in range(3)
    ]
    orders = [place_test_order(checkout, quantity=1, kind="account") for checkout in checkouts]
    clock.set_now(NOW + dt.timedelta(days=2))

    made = _at_once(lambda: automation_run(now=clock.now()))

    # Each customer's first order gets its welcome call once, whichever worker made it.
    assert sum(made) == len(orders)
    assert Task.objects.filter(rule="first_order").count() == len(orders)
    assert Activity.objects.filter(kind="automation").count() == len(orders)
