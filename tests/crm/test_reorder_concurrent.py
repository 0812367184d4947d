"""Workers running the automation job at the same moment (PostgreSQL: real row locks and concurrent commits)
write each reorder prediction once and make each reorder task once."""

import datetime as dt

import pytest

from autosales.core import clock
from autosales.crm.automation import automation_run
from autosales.crm.models import Activity, ActivityKind, ReorderPrediction, Task
from tests.crm.test_concurrent_workers import _at_once
from tests.factories import make_account_order, make_organization, make_product, make_salesperson

START = dt.datetime(2027, 1, 4, 15, 0, tzinfo=dt.UTC)


@pytest.mark.django_db(transaction=True)
def test_workers_at_once_store_each_prediction_and_make_each_task_once(on_postgres):
    sales = make_salesperson()
    variant = make_product(name="T8 tubes").variants.get()
    for i in range(5):
        organization = make_organization(name=f"Customer {i}", salesperson=sales)
        for day in (0, 42, 84, 126):
            clock.set_now(START + dt.timedelta(days=day, minutes=i))
            make_account_order(organization=organization, variant=variant, quantity=40, status="delivered")
    now = START + dt.timedelta(days=164)
    clock.set_now(now)

    made = _at_once(lambda: automation_run(now=now))

    assert sum(made) == 5 and Task.objects.filter(rule="reorder_due").count() == 5
    assert ReorderPrediction.objects.count() == 10  # each customer: the tubes and any order
    assert Activity.objects.filter(kind=ActivityKind.AUTOMATION).count() == 5
