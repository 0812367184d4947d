import datetime as dt
import threading
import time

import pytest
from django.core.management import CommandError, call_command

from autosales.jobs.models import JobState
from autosales.jobs.runner import start_background_runner

pytestmark = pytest.mark.django_db(transaction=True)


def wait_until(predicate, timeout=60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return False


def test_the_background_runner_runs_due_jobs_until_stopped(make_job):
    # given a job that counts its runs
    ran = threading.Event()
    make_job("test.runner", ran.set, every=dt.timedelta(hours=1))
    # when the in-process runner starts
    runner = start_background_runner(poll_seconds=0.2)
    try:
        # then it runs the job and records the run
        assert ran.wait(60)
        assert wait_until(lambda: JobState.objects.filter(name="test.runner", runs=1).exists())
    finally:
        runner.stop()
    # and stop() ends the thread
    assert not runner.is_alive()


def test_worker_once_runs_the_due_jobs(make_job, capsys):
    calls = []
    make_job("test.once", lambda: calls.append(1) or 2, every=dt.timedelta(hours=1))
    call_command("worker", "--once")
    assert calls == [1]
    assert "test.once: ok, 2 items, 0 failures" in capsys.readouterr().out


def test_worker_job_runs_one_job_now_and_list_shows_schedules(make_job, capsys):
    calls = []
    make_job("test.now", lambda: calls.append(1), daily_at=dt.time(3, 0))
    call_command("worker", "--job", "test.now")
    assert calls == [1]
    call_command("worker", "--list")
    out = capsys.readouterr().out
    assert "test.now\tdaily at 03:00" in out and "outbox.deliver\tevery 10 s" in out


def test_worker_refuses_an_unknown_job():
    with pytest.raises(CommandError, match="--job: There is no job named 'nope'"):
        call_command("worker", "--job", "nope")
