"""Customers due to reorder: an account ordering by hand at a usual rhythm whose predicted date has passed, not
one on a standing order, and only the salesperson's own accounts."""

import datetime as dt

import pytest

from autosales.core import clock
from autosales.crm.prediction.store import predictions_refresh
from autosales.crm.reorder import customers_due_to_reorder
from autosales.orders.models import Order
from tests.factories import make_checkout, make_organization, make_salesperson, place_test_order
from tests.recurring.conftest import make_standing_order

pytestmark = pytest.mark.django_db

START = dt.datetime(2027, 1, 4, 15, 0, tzinfo=dt.UTC)


def _orders_every(checkout, days: int, count: int):
    for i in range(count):
        clock.set_now(START + dt.timedelta(days=days * i))
        place_test_order(checkout)


def test_an_account_past_its_usual_interval_is_due_and_others_are_not():
    sales = make_salesperson()
    late = make_checkout(organization=make_organization(name="Late Co", salesperson=sales), stock=1000)
    on_time = make_checkout(organization=make_organization(name="On Time Co", salesperson=sales), stock=1000)
    automatic = make_checkout(organization=make_organization(name="Standing Co", salesperson=sales), stock=10000)
    others = make_checkout(organization=make_organization(name="Not Mine", salesperson=make_salesperson()), stock=1000)
    _orders_every(late, 14, 4)  # last order on day 42
    _orders_every(on_time, 30, 3)  # last order on day 60
    _orders_every(automatic, 14, 4)
    make_standing_order(automatic, start=dt.date(2027, 6, 30))
    _orders_every(others, 14, 4)

    Order.objects.update(status="delivered")  # an order still open covers the next one
    predictions_refresh(now=START + dt.timedelta(days=70))
    due = customers_due_to_reorder(user=sales, now=START + dt.timedelta(days=70))

    assert [(d.organization.name, d.usual_days, d.days_late) for d in due] == [("Late Co", 14, 14)]
    assert Order.objects.count() == 15
