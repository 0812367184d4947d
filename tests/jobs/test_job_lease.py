"""An exclusive job's lease (JOBS_LEASE_SECONDS) is renewed while the job runs: a job may run longer than its lease
without a second worker starting it, and the lease of a worker that died still ends after one lease."""

import datetime as dt
import threading
import time

import pytest
from django.db import connection

from autosales.core import clock
from autosales.jobs.models import JobState
from autosales.jobs.services import job_due_by, job_execute

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_job_running_longer_than_its_lease_keeps_it(make_job, settings):
    settings.JOBS_LEASE_SECONDS = 0.3
    second_try = []

    def long_job():
        time.sleep(1.0)  # three leases

        def other_worker():
            try:
                second_try.append(job_execute(name="test.long", worker="other", only_if_due=False))
            finally:
                connection.close()

        thread = threading.Thread(target=other_worker)
        thread.start()
        thread.join()

    make_job("test.long", long_job, every=dt.timedelta(hours=1))
    outcome = job_execute(name="test.long", worker="first")
    assert outcome.ran
    [other] = second_try
    assert not other.ran and "running on first" in other.skipped_because
    state = JobState.objects.get(name="test.long")
    assert state.locked_by == "" and state.runs == 1


def test_the_lease_of_a_worker_that_died_ends_after_one_lease(make_job, settings):
    settings.JOBS_LEASE_SECONDS = 60
    calls = []
    make_job("test.orphan", lambda: calls.append(1), every=dt.timedelta(seconds=1))
    JobState.objects.create(
        name="test.orphan",
        next_run_at=clock.now(),
        locked_by="dead",
        locked_until=clock.now() + dt.timedelta(seconds=60),
    )
    assert not job_execute(name="test.orphan", worker="alive").ran
    clock.advance(dt.timedelta(seconds=61))
    assert job_execute(name="test.orphan", worker="alive").ran and calls == [1]


def test_a_job_is_made_due_when_items_another_worker_holds_become_free_never_later(make_job):
    make_job("test.held", lambda: None, every=dt.timedelta(hours=1))
    now = clock.now()
    JobState.objects.create(name="test.held", next_run_at=now + dt.timedelta(hours=1))

    job_due_by(name="test.held", at=now + dt.timedelta(seconds=30))
    assert JobState.objects.get(name="test.held").next_run_at == now + dt.timedelta(seconds=30)

    job_due_by(name="test.held", at=now + dt.timedelta(minutes=5))  # a later moment does not push it back
    assert JobState.objects.get(name="test.held").next_run_at == now + dt.timedelta(seconds=30)


def test_a_sooner_due_time_survives_another_worker_starting_the_job(make_job):
    make_job("test.shared", lambda: None, every=dt.timedelta(minutes=1), exclusive=False)
    now = clock.now()
    JobState.objects.create(name="test.shared", next_run_at=now + dt.timedelta(minutes=1))  # one worker ran it
    job_due_by(name="test.shared", at=now + dt.timedelta(seconds=6))  # items held by a worker that may have died
    assert job_execute(name="test.shared", worker="other", only_if_due=False).ran
    assert JobState.objects.get(name="test.shared").next_run_at == now + dt.timedelta(seconds=6)
