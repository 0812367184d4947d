"""The materialize pass writes runs a chunk of standing orders at a time: same rows as one by one, fewer queries."""

import datetime as dt
import threading

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from autosales.core import clock
from autosales.recurring.models import Change, Run, StandingOrder
from autosales.recurring.scheduler import materialize, runs_materialize
from autosales.recurring.services import occurrence_skip, standing_order_pause
from tests.factories import make_checkout
from tests.recurring.conftest import make_standing_order

# The first occurrence of make_standing_order's default (31 January 2027, 06:00 Chicago) is inside its
# three days' notice from here on.
IN_NOTICE_WINDOW = dt.datetime(2027, 1, 28, 13, tzinfo=dt.UTC)


def materialize_queries(now) -> tuple[int, int]:
    """(runs made, queries sent) of one materialize pass at `now`."""
    with CaptureQueriesContext(connection) as queries:
        made = runs_materialize(now=now).items
    return made, len(queries.captured_queries)


def test_materializing_30_standing_orders_takes_as_many_queries_as_3(bulbs):
    # Given 3 standing orders due for materializing
    for _ in range(3):
        make_standing_order(bulbs)
    clock.set_now(IN_NOTICE_WINDOW)
    made_3, queries_3 = materialize_queries(IN_NOTICE_WINDOW)
    # and, a week later, 30 more whose first date is then inside the window
    for _ in range(30):
        make_standing_order(bulbs, start=dt.date(2027, 2, 7), every=1, day=7)

    # When the next pass runs
    clock.set_now(dt.datetime(2027, 2, 4, 13, tzinfo=dt.UTC))
    made_30, queries_30 = materialize_queries(clock.now())

    # Then each standing order has its run, with the same number of queries either way
    assert (made_3, made_30) == (3, 30)
    assert queries_30 == queries_3
    assert Run.objects.filter(status=Run.Status.SCHEDULED).count() == 33


def test_one_chunk_keeps_each_standing_orders_own_outcome(bulbs):
    # Given, due together: a plain one, one whose date the customer skipped ahead of time, one paused
    # until resumed, one paused until a day before its date, and one that ends after one order
    plain = make_standing_order(bulbs)
    skipped = make_standing_order(bulbs)
    occurrence_skip(standing_order=skipped, actor=bulbs.user, day=dt.date(2027, 1, 31))
    paused = make_standing_order(bulbs)
    standing_order_pause(standing_order=paused, actor=bulbs.user)
    paused_briefly = make_standing_order(bulbs)
    standing_order_pause(standing_order=paused_briefly, actor=bulbs.user, until=dt.date(2027, 1, 27))
    once = make_standing_order(bulbs, max_occurrences=1)

    # When one pass materializes them all in one chunk (the short pause has ended by then)
    clock.set_now(IN_NOTICE_WINDOW)
    result = runs_materialize(now=IN_NOTICE_WINDOW)

    # Then each gets what it would have got alone
    def run_of(standing_order):
        return Run.objects.get(standing_order=standing_order)

    assert run_of(plain).status == Run.Status.SCHEDULED
    assert run_of(plain).next_attempt_at == run_of(plain).due_at == dt.datetime(2027, 1, 31, 12, tzinfo=dt.UTC)
    assert (run_of(skipped).status, run_of(skipped).skip_reason) == (Run.Status.SKIPPED, "skipped by customer")
    assert (run_of(paused).status, run_of(paused).skip_reason) == (Run.Status.SKIPPED, "paused")
    assert run_of(paused).next_attempt_at is None
    assert run_of(paused_briefly).status == Run.Status.SCHEDULED
    assert run_of(once).status == Run.Status.SCHEDULED
    assert result.items == 4, "the skipped date already had its row"

    for standing_order in (plain, skipped, paused, paused_briefly, once):
        standing_order.refresh_from_db()
        assert standing_order.materialized_through == dt.date(2027, 1, 31)
    assert plain.next_materialize_at == dt.datetime(2027, 3, 28, 11, tzinfo=dt.UTC)  # 31 March 06:00 CDT - 3 days
    assert paused.status == StandingOrder.Status.PAUSED
    assert (paused_briefly.status, paused_briefly.paused_until) == (StandingOrder.Status.ACTIVE, None)
    assert Change.objects.filter(standing_order=paused_briefly, kind="active").exists()
    # The one that ends after one order stays active until that order is placed: looked at again after it is due
    assert (once.status, once.next_materialize_at) == (
        StandingOrder.Status.ACTIVE,
        dt.datetime(2027, 1, 31, 12, 1, tzinfo=dt.UTC),
    )
    assert result.events == []

    # And a second pass finds nothing more to do
    assert runs_materialize(now=IN_NOTICE_WINDOW).items == 0
    assert Run.objects.count() == 5


def test_a_pass_handles_at_most_limit_standing_orders_in_chunks(bulbs, monkeypatch):
    # Given 7 standing orders due and chunks of 3
    monkeypatch.setattr(materialize, "MATERIALIZE_CHUNK", 3)
    for _ in range(7):
        make_standing_order(bulbs)

    # When a pass may handle 5, then another runs
    clock.set_now(IN_NOTICE_WINDOW)
    first = runs_materialize(now=IN_NOTICE_WINDOW, limit=5)
    second = runs_materialize(now=IN_NOTICE_WINDOW, limit=5)

    # Then the first made 5 runs (chunks of 3 and 2), the second the other 2
    assert (first.items, second.items) == (5, 2)
    assert Run.objects.values("standing_order").distinct().count() == 7


@pytest.mark.django_db(transaction=True)
def test_two_workers_materializing_at_once_make_each_run_once(on_postgres, at_start, monkeypatch):
    # Given 40 standing orders due for materializing, and small chunks so both workers get some
    monkeypatch.setattr(materialize, "MATERIALIZE_CHUNK", 4)
    checkout = make_checkout(stock=10_000, price="1.00")
    for _ in range(40):
        make_standing_order(checkout, quantity=5)
    clock.set_now(IN_NOTICE_WINDOW)
    barrier = threading.Barrier(2)
    made = {}
    errors = []

    def worker(name):
        try:
            barrier.wait()
            total = 0
            while part := runs_materialize(now=IN_NOTICE_WINDOW, limit=4).items:
                total += part
            made[name] = total
        except Exception as exc:  # a failure must fail the test, not vanish with the thread
            errors.append(exc)
        finally:
            connection.close()

    # When two workers run the pass at the same time
    threads = [threading.Thread(target=worker, args=(f"worker-{i}",)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    # Then every standing order has exactly one run, made by one of them, and nothing failed
    assert errors == []
    assert sum(made.values()) == 40
    assert Run.objects.count() == 40
    assert Run.objects.values("standing_order").distinct().count() == 40
    assert not StandingOrder.objects.filter(next_materialize_at__lte=IN_NOTICE_WINDOW).exists()
