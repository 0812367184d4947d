import datetime as dt
import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.test import override_settings

from autosales.core import clock
from autosales.notifications.models import OutboxEmail
from autosales.orders.models import Order
from autosales.recurring.models import Run
from tests.factories import make_checkout
from tests.recurring.conftest import START, make_standing_order

# The simulation copies the database file (SQLite): the test data must be committed to be in the copy.
pytestmark = pytest.mark.django_db(transaction=True)


def simulate(*args) -> str:
    out = StringIO()
    call_command("simulate", *args, stdout=out)
    return out.getvalue()


def test_two_years_of_bulbs_every_two_months_as_json_lines_and_nothing_real_changes():
    clock.set_now(START)
    checkout = make_checkout(stock=20_000, price="2.50")
    make_standing_order(checkout)

    output = simulate("--until", "2029-01-30", "--json")

    events = [json.loads(line) for line in output.splitlines()]
    placed = [e for e in events if e["type"] == "placed"]
    assert [e["date"] for e in placed] == [
        "2027-01-31", "2027-03-31", "2027-05-31", "2027-07-31", "2027-09-30", "2027-11-30",
        "2028-01-31", "2028-03-31", "2028-05-31", "2028-07-31", "2028-09-30", "2028-11-30",
    ]  # fmt: skip
    assert all(e["order_number"] and e["standing_order"] for e in placed)
    assert not any(e["late"] for e in placed)
    notices = [e for e in events if e["type"] == "notice"]
    assert len(notices) == 13  # one before each order, and the one before 31 January 2029
    emails = [e for e in events if e["type"] == "email"]
    assert {e["template"] for e in emails} == {"recurring/notice", "orders/confirmation", "fulfillment/shipped"}
    # each order leaves on the day promised at checkout (placed before the center's cut-off, no handling days)
    # and arrives three days later
    shipped = [e for e in events if e["type"] == "shipped"]
    assert [e["date"] for e in shipped] == [e["date"] for e in placed]
    assert all(e["units"] == 1000 for e in shipped)
    assert len([e for e in events if e["type"] == "delivered"]) == 12
    # Billing's daily jobs run on the simulated days too: each card order gets its paid receipt.
    jobs = [e for e in events if e["type"] == "job"]
    assert {e["job"] for e in jobs} == {"billing.issue_invoices"} and sum(e["items"] for e in jobs) == 12
    assert events[-1] == {
        "type": "summary",
        "placed": 12,
        "notice": 13,
        "shipped": 12,
        "delivered": 12,
        "email": len(emails),
        "job": len(jobs),
    }
    # The real database is untouched.
    assert Order.objects.count() == 0
    assert Run.objects.count() == 0
    assert OutboxEmail.objects.count() == 0


def test_table_output_and_bad_dates():
    clock.set_now(START)
    checkout = make_checkout(stock=20_000)
    make_standing_order(checkout, every=1, day=1, start=dt.date(2027, 2, 1), token="tok_decline")

    output = simulate("--until", "2027-02-03")

    assert "Simulating 2027-01-25 to 2027-02-03" in output
    assert "payment_failed" in output
    assert "Summary:" in output
    with pytest.raises(CommandError, match="--until: not a date"):
        simulate("--until", "next tuesday")
    with pytest.raises(CommandError, match="before the start"):
        simulate("--until", "2020-01-01")


def test_the_table_shows_a_date_moved_to_the_next_working_day():
    clock.set_now(START)
    checkout = make_checkout(stock=20_000)
    make_standing_order(checkout, every=1, day=31, notice_days=3, move_to_working_day=True)  # Sunday, January 31

    output = simulate("--until", "2027-02-02", "--time-zone", "America/Chicago")

    assert "for 2027-02-01 (moved from 2027-01-31)" in output  # the notice and the order
    placed = next(line for line in output.splitlines() if " placed " in line)
    assert placed.startswith("2027-02-01") and placed.endswith("for 2027-02-01 (moved from 2027-01-31)")


# 06:00 on 1 February 2027 in Auckland (NZDT, UTC+13) is 17:00 on 31 January in UTC.
AUCKLAND_FIRST = dt.datetime(2027, 1, 31, 17, 0, tzinfo=dt.UTC)


def _placed(output: str) -> list[dict]:
    return [e for e in map(json.loads, output.splitlines()) if e["type"] == "placed"]


@override_settings(TIME_ZONE="Pacific/Auckland")
def test_until_ends_at_midnight_in_the_shops_zone_and_dates_are_local():
    clock.set_now(START)
    checkout = make_checkout(stock=20_000, timezone="Pacific/Auckland")
    make_standing_order(checkout, every=1, day=1, start=dt.date(2027, 2, 1), timezone=None)

    # The order of 1 February (Auckland) is due before UTC's midnight, but after Auckland's.
    assert _placed(simulate("--until", "2027-01-31", "--json", "--only", "placed")) == []
    [placed] = _placed(simulate("--until", "2027-02-01", "--json", "--only", "placed"))

    assert placed["date"] == "2027-02-01"
    assert dt.datetime.fromisoformat(placed["at"]) == AUCKLAND_FIRST
    assert placed["at"].endswith("+13:00")
    table = simulate("--until", "2027-02-01", "--only", "placed")
    assert "(Pacific/Auckland time)" in table
    assert "\n2027-02-01  placed" in table


def test_the_time_zone_option_overrides_the_shops():
    clock.set_now(START)
    checkout = make_checkout(stock=20_000, timezone="Pacific/Auckland")
    make_standing_order(checkout, every=1, day=1, start=dt.date(2027, 2, 1), timezone=None)

    [placed] = _placed(simulate("--until", "2027-01-31", "--json", "--only", "placed"))  # the shop is on UTC
    assert (placed["date"], placed["at"]) == ("2027-01-31", "2027-01-31T17:00:00+00:00")

    output = simulate("--until", "2027-02-01", "--json", "--only", "placed", "--time-zone", "Pacific/Auckland")
    assert [e["date"] for e in _placed(output)] == ["2027-02-01"]
    assert _placed(simulate("--until", "2027-01-31", "--json", "--time-zone", "Pacific/Auckland")) == []


def test_an_unknown_time_zone_is_refused_naming_the_option():
    with pytest.raises(CommandError, match="--time-zone: Unknown time zone 'Mars/Olympus_Mons'"):
        simulate("--until", "2027-02-01", "--time-zone", "Mars/Olympus_Mons")


def test_a_year_of_standing_orders_ships_in_full_when_the_forecast_is_received():
    # given 1,000 bulbs every two months and only 1,500 in stock: without goods in, the second run is short
    clock.set_now(START)
    checkout = make_checkout(stock=1_500, price="2.50")
    make_standing_order(checkout)

    short = [json.loads(line) for line in simulate("--until", "2027-12-31", "--json", "--only", "shipped").splitlines()]
    received = [
        json.loads(line) for line in simulate("--until", "2027-12-31", "--json", "--receive-stock").splitlines()
    ]

    assert sum(e["units"] for e in short if e["type"] == "shipped") < 6_000
    shipped = [e for e in received if e["type"] == "shipped"]
    assert sum(e["units"] for e in shipped) == 6_000  # six orders of 1,000, every one shipped in full
    assert [e for e in received if e["type"] == "received"]
    assert not any(e.get("backordered") for e in received if e["type"] == "placed")
    assert Order.objects.count() == 0  # on the scratch copy only


def test_the_simulation_shows_the_tasks_the_rules_would_make():
    from autosales.crm.models import Task
    from tests.factories import make_salesperson

    clock.set_now(START)
    rep = make_salesperson(username="sally")
    checkout = make_checkout(stock=20_000, price="2.50", salesperson=rep)
    make_standing_order(checkout)

    output = simulate("--until", "2027-06-30", "--json")

    events = [json.loads(line) for line in output.splitlines()]
    tasks = [e for e in events if e["type"] == "task"]
    by_rule = {}
    for event in tasks:
        by_rule.setdefault(event["rule"], []).append(event)
    # The first standing order's delivery is the customer's first order; each delivered order gets its follow-up.
    assert len(by_rule["first_order"]) == 1
    delivered = [e for e in events if e["type"] == "delivered"]
    assert len(by_rule["order_delivered"]) == len(delivered) == 3
    assert all(e["owner"] == "sally" and e["organization"] == checkout.organization.name for e in tasks)
    # Each follow-up shows on the day it is made, three days after its delivery.
    delivery_days = sorted(dt.date.fromisoformat(e["date"]) for e in delivered)
    follow_up_days = sorted(dt.date.fromisoformat(e["date"]) for e in by_rule["order_delivered"])
    assert follow_up_days == [day + dt.timedelta(days=3) for day in delivery_days]
    table = simulate("--until", "2027-06-30", "--only", "task")
    assert "order_delivered: Follow up with" in table
    assert Task.objects.count() == 0  # nothing real changes
