import datetime as dt

import pytest

from autosales.core import clock
from autosales.jobs.models import JobState
from autosales.jobs.registry import JobResult
from autosales.jobs.services import job_execute, job_request_run, jobs_run_due

pytestmark = pytest.mark.django_db


def test_a_due_job_runs_and_its_run_is_recorded(make_job):
    calls = []
    make_job("test.count", lambda: calls.append(1) or JobResult(items=3, failures=1), every=dt.timedelta(minutes=5))
    outcome = job_execute(name="test.count")
    assert outcome.ran and calls == [1]
    state = JobState.objects.get(name="test.count")
    assert state.last_outcome == JobState.Outcome.OK
    assert (state.last_items, state.last_failures, state.runs, state.items_total) == (3, 1, 1, 3)
    assert state.last_duration is not None and state.last_finished_at >= state.last_started_at
    assert state.next_run_at == state.last_started_at + dt.timedelta(minutes=5)
    assert state.locked_by == "" and state.locked_until is None
    # and it is not due again until its interval has passed
    assert not job_execute(name="test.count").ran
    clock.advance(dt.timedelta(minutes=5))
    assert job_execute(name="test.count").ran and calls == [1, 1]


def test_a_failing_job_records_its_error_and_is_tried_at_its_next_slot(make_job):
    def broken():
        raise RuntimeError("the ledger is locked")

    make_job("test.broken", broken, every=dt.timedelta(minutes=1))
    outcome = job_execute(name="test.broken")
    assert outcome.ran and "the ledger is locked" in outcome.error
    state = JobState.objects.get(name="test.broken")
    assert state.last_outcome == JobState.Outcome.FAILED
    assert state.failed_runs == 1 and "RuntimeError: the ledger is locked" in state.last_error
    assert state.locked_by == ""


def test_an_exclusive_job_does_not_run_while_another_worker_holds_its_lease(make_job, settings):
    calls = []
    make_job("test.exclusive", lambda: calls.append(1), every=dt.timedelta(seconds=1))
    JobState.objects.create(
        name="test.exclusive",
        next_run_at=clock.now(),
        locked_by="other-worker",
        locked_until=clock.now() + dt.timedelta(minutes=10),
    )
    outcome = job_execute(name="test.exclusive", worker="me", only_if_due=False)
    assert not outcome.ran and "other-worker" in outcome.skipped_because
    # when the other worker died and its lease ran out, this worker takes over
    clock.advance(dt.timedelta(minutes=11))
    assert job_execute(name="test.exclusive", worker="me").ran and calls == [1]


def test_a_daily_job_missed_during_downtime_runs_once_when_workers_return(make_job):
    calls = []
    make_job("test.daily", lambda: calls.append(1), daily_at=dt.time(6, 0))
    with clock.frozen_at(dt.datetime(2030, 3, 1, 5, 0, tzinfo=dt.UTC)):
        jobs_run_due(worker="w")
        assert calls == []  # first sight: due at the next 06:00
    with clock.frozen_at(dt.datetime(2030, 3, 1, 9, 0, tzinfo=dt.UTC)):  # workers were down at 06:00
        jobs_run_due(worker="w")
        jobs_run_due(worker="w")
    assert calls == [1]
    assert JobState.objects.get(name="test.daily").next_run_at == dt.datetime(2030, 3, 2, 6, 0, tzinfo=dt.UTC)


def test_run_now_makes_a_job_due(make_job, django_capture_on_commit_callbacks):
    calls = []
    make_job("test.later", lambda: calls.append(1), every=dt.timedelta(hours=1))
    job_execute(name="test.later")
    assert not job_execute(name="test.later").ran
    with django_capture_on_commit_callbacks(execute=True):
        job_request_run(name="test.later")
    assert job_execute(name="test.later").ran and calls == [1, 1]


def test_a_non_exclusive_job_runs_on_every_worker_at_its_interval_and_an_exclusive_one_on_one(make_job):
    ran = []
    make_job("test.shared", lambda: ran.append("shared"), every=dt.timedelta(minutes=1), exclusive=False)
    make_job("test.single", lambda: ran.append("single"), every=dt.timedelta(minutes=1))
    # when two workers look at the schedule one after the other
    jobs_run_due(worker="shared-a")
    jobs_run_due(worker="shared-b")
    # then both ran the non-exclusive job (the first start did not make it wait for the other), the exclusive once
    assert ran.count("shared") == 2 and ran.count("single") == 1
    state = JobState.objects.get(name="test.shared")
    assert state.locked_by == "" and state.runs == 2
    # and neither runs it again before its interval has passed on its own schedule
    jobs_run_due(worker="shared-a")
    jobs_run_due(worker="shared-b")
    assert ran.count("shared") == 2
    clock.advance(dt.timedelta(minutes=1))
    jobs_run_due(worker="shared-b")
    jobs_run_due(worker="shared-a")
    assert ran.count("shared") == 4 and ran.count("single") == 2


def test_more_work_makes_a_non_exclusive_job_due_for_idle_workers(make_job, django_capture_on_commit_callbacks):
    from autosales.jobs.services import job_more_work

    ran = []
    make_job("test.more", lambda: ran.append(1), every=dt.timedelta(minutes=1), exclusive=False)
    jobs_run_due(worker="more-a")
    jobs_run_due(worker="more-b")
    assert len(ran) == 2
    # when a worker's pass finds more than a batch due
    with django_capture_on_commit_callbacks(execute=True):
        job_more_work(name="test.more")
    # then another worker runs it at once instead of at its next interval
    jobs_run_due(worker="more-b")
    assert len(ran) == 3
