"""A worker process killed (SIGKILL) in the middle of placing standing-order runs, on PostgreSQL: it held back at
most one small batch, which another worker places once its lease (JOBS_LEASE_SECONDS) has run out; every run
becomes exactly one order."""

import datetime as dt
import os
import signal
import subprocess
import time

import pytest

from autosales.core import clock
from autosales.orders.models import Order
from autosales.recurring.models import Run
from autosales.recurring.scheduler import runs_materialize
from autosales.recurring.scheduler.placement import BATCH
from tests.factories import make_checkout
from tests.jobs.conftest import BIN, child_env  # noqa: F401  (a fixture)
from tests.recurring.conftest import START, make_standing_order

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.postgres]

RUNS = 60
LEASE_SECONDS = 6
POLL_SECONDS = 1


def start_worker(env) -> subprocess.Popen:
    return subprocess.Popen(
        [str(BIN / "autosales"), "worker", "--poll", str(POLL_SECONDS)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )


def test_a_worker_killed_mid_batch_delays_one_small_batch_by_one_lease(on_postgres, child_env):  # noqa: F811
    # given 60 standing-order runs due now
    clock.set_now(START)
    checkout = make_checkout(stock=100_000, price="1.00")
    for _ in range(RUNS):
        make_standing_order(checkout, quantity=1, every=1, day=1, start=dt.date(2027, 2, 1))
    due = dt.datetime(2027, 2, 1, 13, tzinfo=dt.UTC)
    runs_materialize(now=due)
    clock.reset()
    Run.objects.update(next_attempt_at=clock.now() - dt.timedelta(minutes=1))
    assert Run.objects.filter(status=Run.Status.SCHEDULED).count() == RUNS
    child_env.update(JOBS_LEASE_SECONDS=str(LEASE_SECONDS), JOBS_POLL_SECONDS=str(POLL_SECONDS), EMAIL_URL="mailbox://")
    # when two worker processes place them and one is killed once orders start to appear
    victim, survivor = start_worker(child_env), start_worker(child_env)
    try:
        deadline = time.monotonic() + 120
        while not Order.objects.exists():
            assert time.monotonic() < deadline, "no worker placed a run"
            time.sleep(0.01)
        os.kill(victim.pid, signal.SIGKILL)
        victim.wait(30)
        killed_at = time.monotonic()
        held = Run.objects.filter(claimed_by__contains=f":{victim.pid}:").count()
        # then the victim held back at most one small batch
        assert held <= BATCH
        # and the survivor places every run within the victim's lease and a poll (and the time the work takes, on a
        # busy machine): the victim's runs wait for its lease, not for the next minute's run of the job
        while Run.objects.filter(status=Run.Status.PLACED).count() < RUNS:
            assert time.monotonic() - killed_at < LEASE_SECONDS + POLL_SECONDS + 40, Run.objects.values_list(
                "status", "claimed_by", "claimed_until"
            )[:5]
            time.sleep(0.2)
    finally:
        for process in (victim, survivor):
            if process.poll() is None:
                process.terminate()
                process.wait(60)
    # exactly one order per run, whoever placed it
    assert Order.objects.count() == RUNS
    assert Order.objects.values("standing_order_run_id").distinct().count() == RUNS
