"""Run status changes: made under the row lock against the stored status and, for a worker, its claim."""

import datetime as dt

import pytest

from autosales.core import clock
from autosales.core.errors import Conflict
from autosales.jobs.claims import claim_batch
from autosales.recurring.errors import RunClaimLost
from autosales.recurring.models import Run
from autosales.recurring.scheduler import run_lease, runs_materialize
from autosales.recurring.transitions import run_transition
from tests.recurring.conftest import make_standing_order


@pytest.fixture
def due_run(bulbs):
    make_standing_order(bulbs, every=1, day=1, start=dt.date(2027, 2, 1))
    clock.set_now(dt.datetime(2027, 2, 1, 13, tzinfo=dt.UTC))
    runs_materialize()
    return Run.objects.get()


def test_a_worker_whose_lease_was_taken_over_writes_nothing(due_run):
    stale = claim_batch(queryset=Run.objects.all(), worker="worker-a", limit=1, lease=run_lease())[0]
    clock.advance(run_lease() + dt.timedelta(seconds=1))
    claim_batch(queryset=Run.objects.all(), worker="worker-b", limit=1, lease=run_lease())

    with pytest.raises(RunClaimLost):
        run_transition(
            run=stale, to=Run.Status.FAILED, fields={"last_error": "checkout in progress"}, worker="worker-a"
        )

    run = Run.objects.get()
    assert (run.status, run.last_error, run.claimed_by) == (Run.Status.SCHEDULED, "", "worker-b")


def test_the_holder_moves_the_run_and_hands_its_claim_back_in_one_write(due_run):
    held = claim_batch(queryset=Run.objects.all(), worker="worker-a", limit=1, lease=run_lease())[0]

    run_transition(run=held, to=Run.Status.RETRYING, fields={"failure_code": "card_declined"}, worker="worker-a")

    run = Run.objects.get()
    assert (run.status, run.failure_code, run.claimed_by, run.claimed_until) == ("retrying", "card_declined", "", None)


def test_the_stored_status_decides_not_a_stale_copy(due_run):
    stale = Run.objects.get()
    run_transition(run=Run.objects.get(), to=Run.Status.FAILED)

    with pytest.raises(Conflict):
        run_transition(run=stale, to=Run.Status.PLACED)

    assert Run.objects.get().status == Run.Status.FAILED
