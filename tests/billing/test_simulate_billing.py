"""`autosales simulate` runs billing's daily jobs on the days it stops on: reminders, holds and statements show in
its output, and nothing real changes."""

import datetime as dt
import json
from io import StringIO

import pytest
from django.core.management import call_command

from autosales.billing.issuing import invoice_issue_for_order
from autosales.billing.models import AccountEvent
from autosales.core import clock
from tests.factories import make_account_order, make_checkout
from tests.recurring.conftest import make_standing_order

pytestmark = pytest.mark.django_db(transaction=True)


def test_simulate_shows_reminders_the_credit_hold_and_statements():
    clock.set_now(dt.datetime(2027, 1, 4, 12, tzinfo=dt.UTC))
    try:
        checkout = make_checkout(
            stock=20_000, has_account_terms=True, credit_limit=1_000_000, billing_email="ap@sim.example"
        )
        invoice_issue_for_order(order=make_account_order(organization=checkout.organization))  # due Feb 3
        make_standing_order(checkout, every=1, day=1, start=dt.date(2027, 1, 10), kind="account", quantity=5)
        out = StringIO()
        call_command("simulate", "--until", "2027-04-30", "--json", stdout=out)
    finally:
        clock.reset()
    events = [json.loads(line) for line in out.getvalue().splitlines()]
    templates = {e["template"] for e in events if e["type"] == "email"}
    assert {"billing/reminder", "billing/credit_hold", "billing/statement"} <= templates
    jobs = {e["job"] for e in events if e["type"] == "job"}
    assert {"billing.dunning", "billing.send_statements"} <= jobs
    assert not AccountEvent.objects.exists()  # the simulation ran on a copy


def test_simulate_stops_on_each_reminders_day_and_the_holds_day():
    # No standing order: without billing's own days the simulation would stop on none of them.
    clock.set_now(dt.datetime(2027, 1, 4, 12, tzinfo=dt.UTC))
    try:
        checkout = make_checkout(
            has_account_terms=True,
            credit_limit=1_000_000,
            billing_email="ap@sim.example",
            reminder_days="-3,0,7,14",
            credit_hold_after_days=30,
        )
        invoice_issue_for_order(order=make_account_order(organization=checkout.organization))  # due Feb 3
        out = StringIO()
        call_command("simulate", "--until", "2027-03-10", "--time-zone", "UTC", "--json", stdout=out)
    finally:
        clock.reset()
    events = [json.loads(line) for line in out.getvalue().splitlines()]
    by_template = {}
    for event in events:
        if event["type"] == "email":
            by_template.setdefault(event["template"], []).append(event["date"])
    assert by_template["billing/reminder"] == ["2027-01-31", "2027-02-03", "2027-02-10", "2027-02-17"]
    assert by_template["billing/credit_hold"] == ["2027-03-05"]
    assert by_template["billing/statement"] == ["2027-02-01", "2027-03-01"]
