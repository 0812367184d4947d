"""The reorder rules on the stored predictions: a call when a regular customer's product is due, a win-back task
when the customer lapses — each once per cycle across a simulated year with a clock jump and re-runs — and no task
while an order, an open order or a standing order covers it. Orders of standing-order runs teach nothing."""

import datetime as dt

import pytest

from autosales.core import clock
from autosales.crm.automation import automation_run, rule_save
from autosales.crm.models import Activity, ActivityKind, ReorderPrediction, Task
from autosales.crm.prediction.passes import lapsing_pass, reorder_due_pass
from autosales.crm.prediction.store import predictions_refresh
from autosales.orders.models import OrderSource
from autosales.recurring.models import StandingOrder
from tests.factories import make_account_order, make_checkout, make_organization, make_product, make_salesperson
from tests.recurring.conftest import make_standing_order

pytestmark = pytest.mark.django_db

START = dt.datetime(2027, 1, 4, 15, 0, tzinfo=dt.UTC)


def _day(n: int) -> dt.datetime:
    return START + dt.timedelta(days=n)


def _orders(organization, variant, days: list[int], *, quantity=40, **fields):
    fields.setdefault("status", "delivered")
    for n in days:
        clock.set_now(_day(n))
        make_account_order(organization=organization, variant=variant, quantity=quantity, **fields)


def _northwind():
    rep = make_salesperson()
    organization = make_organization(name="Northwind", salesperson=rep)
    variant = make_product(name="T8 tubes").variants.get()
    return rep, organization, variant


def _run(day: float) -> int:
    moment = START + dt.timedelta(days=day)
    clock.set_now(moment)
    return automation_run(now=moment)


def _run_reorder_rules(day: float) -> int:
    """The two rules of this file only (the year below runs them 650 times; the other rules have their own year)."""
    moment = START + dt.timedelta(days=day)
    clock.set_now(moment)
    return reorder_due_pass(now=moment) + lapsing_pass(now=moment)


def test_a_due_reorder_makes_one_call_task_with_the_cadence_in_words():
    rep, organization, variant = _northwind()
    _orders(organization, variant, [0, 42, 84, 126])  # every 6 weeks, the last on May 10

    assert _run(160) == 0  # predicted day 168: more than 5 days ahead
    assert _run(163) == 1
    assert _run(163.5) == 0  # a re-run the same day
    assert _run(164) == 0

    task = Task.objects.get(rule="reorder_due")
    assert task.title == "Call Northwind: they usually reorder T8 tubes about now (every 6 weeks, last on May 10)"
    assert task.owner == rep and task.kind == Task.Kind.CALL
    assert "standing order" in task.notes and f"40 × {variant.sku}" in task.notes
    entry = Activity.objects.get(organization=organization, kind=ActivityKind.AUTOMATION)
    assert entry.data == {"rule": "reorder_due", "task": task.public_id}


def test_each_rule_acts_once_per_cycle_across_a_year_with_a_clock_jump_and_re_runs():
    _, organization, variant = _northwind()
    _orders(organization, variant, [0, 42, 84, 126, 168, 210])
    # Called each time, they reorder twice more on the rhythm, then stop.
    reorders = {252, 294}
    day = 211
    while day <= 211 + 365:
        if day in reorders:
            _orders(organization, variant, [day])
        made = _run_reorder_rules(day)
        if made or day % 7 == 0:
            assert _run_reorder_rules(day + 0.25) == 0  # a second worker, six hours later, makes nothing more
        day = 340 if day == 300 else day + 1  # the clock jumps over 40 days (the server was down)

    reorder_tasks = Task.objects.filter(rule="reorder_due").order_by("created_at")
    assert [t.automation_key.rsplit(":", 1)[1] for t in reorder_tasks] == ["2027-08-02", "2027-09-13", "2027-10-25"]
    # the third cycle's call comes late, on the day the clock came back (day 340), still before the lapse
    assert reorder_tasks[2].created_at == _day(340)
    lapsing = Task.objects.get(rule="lapsing")
    assert lapsing.title.startswith("Win back Northwind: no order since Oct 25")
    assert lapsing.created_at == _day(336 + 21 + 1)
    assert Task.objects.count() == 4
    assert Activity.objects.filter(kind=ActivityKind.AUTOMATION).count() == 4


def test_no_task_while_an_order_since_an_open_order_or_a_standing_order_covers_it():
    rep = make_salesperson()
    ordered = make_organization(name="Ordered since", salesperson=rep)
    waiting = make_organization(name="Open order", salesperson=rep)
    standing = make_checkout(organization=make_organization(name="On a standing order", salesperson=rep))
    paused = make_checkout(organization=make_organization(name="Paused standing order", salesperson=rep))
    variant = make_product(name="T8 tubes").variants.get()
    _orders(ordered, variant, [0, 42, 84, 126])
    _orders(waiting, variant, [0, 42, 84])
    _orders(waiting, variant, [126], status="on_account")  # not shipped yet
    _orders(standing.organization, standing.variant, [0, 42, 84, 126])
    _orders(paused.organization, paused.variant, [0, 42, 84, 126])
    clock.set_now(_day(127))
    make_standing_order(standing, start=dt.date(2027, 9, 30))
    make_standing_order(paused, start=dt.date(2027, 9, 30)).__class__.objects.filter(
        organization=paused.organization
    ).update(status=StandingOrder.Status.PAUSED)
    predictions_refresh(now=_day(163))
    _orders(ordered, variant, [163.01])  # after the refresh: the stored prediction does not know yet

    _run(163.02)

    assert list(Task.objects.values_list("organization__name", flat=True)) == ["Paused standing order"]


def test_standing_order_runs_teach_nothing_and_a_switched_off_rule_does_nothing():
    _, organization, variant = _northwind()
    _orders(organization, variant, [0, 42, 84, 126], source=OrderSource.STANDING_ORDER)
    other = make_organization(name="Manual", salesperson=organization.salesperson)
    _orders(other, variant, [0, 42, 84, 126])
    rule_save(code="reorder_due", enabled=False, days=5)
    rule_save(code="lapsing", enabled=False, days=21)

    assert _run(165) == 0 and _run(200) == 0

    predictions_refresh(now=_day(165))
    assert set(ReorderPrediction.objects.values_list("organization__name", flat=True)) == {"Manual"}
    assert not Task.objects.exists()


def test_the_rule_days_set_how_early_the_call_comes():
    _, organization, variant = _northwind()
    _orders(organization, variant, [0, 42, 84, 126])
    rule_save(code="reorder_due", enabled=True, days=10)

    assert _run(157) == 0
    assert _run(158) == 1
