import datetime as dt

import pytest

from autosales.core import clock
from autosales.recurring.schedule import rule_for
from autosales.recurring.services import LineIn, standing_order_create
from tests.factories import make_checkout

START = dt.datetime(2027, 1, 25, 12, 0, tzinfo=dt.UTC)


@pytest.fixture
def at_start():
    """The whole process's clock stands at 25 January 2027, noon UTC, until the test moves it."""
    clock.set_now(START)
    yield START
    clock.reset()


class WorkerDied(BaseException):
    """A mock crash: the process ends at this point of a pass (a BaseException, so no handler of the pass sees it)."""


def make_standing_order(
    checkout, *, quantity=1000, every=2, day=31, start=dt.date(2027, 1, 31), kind="card", token="tok_approve", **extra
):
    """1,000 bulbs every two months on the 31st by default, for `checkout` (see tests.factories.make_checkout)."""
    arguments = {
        "organization": checkout.organization,
        "actor": checkout.user,
        "lines": [LineIn(variant_id=checkout.variant.pk, quantity=quantity)],
        "rule": rule_for(every=every, unit="month", day_of_month=day),
        "start_date": start,
        "shipping_address": checkout.address,
        "shipping_method": checkout.shipping_method,
        "payment_kind": kind,
        "payment_token": token if kind == "card" else "",
        "timezone": "America/Chicago",
    }
    arguments.update(extra)
    return standing_order_create(**arguments)


def days(start: dt.datetime, until: dt.datetime, *, step=dt.timedelta(days=1)):
    moment = start
    while moment <= until:
        yield moment
        moment += step


@pytest.fixture
def bulbs(db, at_start):
    """A business customer on card payment with 20,000 bulbs in stock."""
    return make_checkout(stock=20_000, price="2.50")
