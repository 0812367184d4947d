"""A committed email wakes the runners at once: delivery does not wait for the next poll.

Every runner here polls once a minute and the delivery job is not due for an hour, so an email that arrives
within the 10 s bound was sent because of the wake-up.
"""

import datetime as dt
import re
import subprocess
import time

import pytest
from django.db import connection, transaction

from autosales.core import clock
from autosales.jobs.models import JobState
from autosales.jobs.runner import start_background_runner
from autosales.jobs.services import jobs_run_due
from autosales.jobs.wakeups import CHANNEL, wakeups
from autosales.notifications.models import OutboxEmail
from autosales.notifications.services import email_queue
from tests.jobs.conftest import BIN

pytestmark = pytest.mark.django_db(transaction=True)

POLL = 60
BOUND = 10


def wait_until(predicate, timeout=60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return False


def delivery_not_due_for_an_hour():
    """After the runner's first pass: only a wake-up can make it deliver within the bound."""
    assert wait_until(lambda: JobState.objects.filter(name="outbox.deliver", runs__gte=1).exists())
    JobState.objects.filter(name="outbox.deliver").update(next_run_at=clock.now() + dt.timedelta(hours=1))


def queue_in_a_transaction(to):
    with transaction.atomic():
        return email_queue(to=to, template="notifications/test", context={"transport": "smtp"})


def test_a_committed_email_wakes_the_in_process_runner_at_once(smtp_server):
    runner = start_background_runner(poll_seconds=POLL)
    try:
        delivery_not_due_for_an_hour()
        time.sleep(0.5)  # the runner is asleep now
        # when an email is committed
        email = queue_in_a_transaction("wake@example.com")
        # then it reaches the SMTP server well before the next poll
        arrived = smtp_server.wait_for(1, timeout=BOUND)
    finally:
        runner.stop()
    assert [m["Message-ID"] for m in arrived] == [f"<{email.message_id}>"]
    email.refresh_from_db()
    assert email.status == OutboxEmail.Status.SENT


def test_a_rolled_back_email_wakes_nobody():
    wakeups.take()
    with pytest.raises(RuntimeError), transaction.atomic():
        queue_in_a_transaction("never@example.com")
        raise RuntimeError("the business transaction fails")
    assert wakeups.take() == set()
    assert not OutboxEmail.objects.exists()


def test_a_woken_job_runs_before_it_is_due(make_job):
    # given a job that is not due for an hour
    calls = []
    make_job("test.woken", lambda: calls.append(1), every=dt.timedelta(hours=1))
    jobs_run_due(worker="w1")
    assert calls == [1]
    # when it is woken, it runs again at once; without a wake-up it waits for its schedule
    jobs_run_due(worker="w1", woken={"test.woken"})
    jobs_run_due(worker="w1")
    assert calls == [1, 1]


def listening_sessions() -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND query = %s",
            [f"LISTEN {CHANNEL}"],
        )
        return cursor.fetchone()[0]


@pytest.mark.postgres
def test_an_email_committed_by_another_process_wakes_a_worker_through_listen_notify(
    on_postgres, child_env, smtp_server
):
    child_env.update(EMAIL_URL=smtp_server.url, OUTBOX_DELIVERY_SECONDS=str(POLL), JOBS_POLL_SECONDS=str(POLL))
    worker = subprocess.Popen(
        [str(BIN / "autosales"), "worker", "--poll", str(POLL)],
        env=child_env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        # given a worker process that ran its first pass and listens
        delivery_not_due_for_an_hour()
        assert wait_until(lambda: listening_sessions() == 1, timeout=30)
        assert wait_until(
            lambda: not JobState.objects.filter(last_outcome=JobState.Outcome.RUNNING).exists(), timeout=30
        )
        time.sleep(0.5)
        # when this process commits an email
        email = queue_in_a_transaction("listen@example.com")
        # then the worker delivers it well before its next poll
        arrived = smtp_server.wait_for(1, timeout=BOUND)
    finally:
        worker.terminate()
        output = worker.communicate(timeout=60)[0]
    assert [m["Message-ID"] for m in arrived] == [f"<{email.message_id}>"], output
    assert worker.returncode == 0, output
    assert re.search(r"Worker stopped", output)


def test_with_celery_a_committed_email_sends_the_delivery_task_once_committed(settings, monkeypatch):
    from autosales.jobs.broker import broker_waker
    from autosales.jobs.celery import app

    # Mock: the broker's send is recorded instead of reaching Redis (a real Redis is in test_redis_outage.py).
    sent = []
    monkeypatch.setattr(app, "send_task", lambda name, args, **options: sent.append((name, args)))
    settings.REDIS_URL = "redis://127.0.0.1:6379/0"
    with transaction.atomic():
        queue_in_a_transaction("celery-wake@example.com")
        assert broker_waker().wait_idle(10)
        assert sent == []  # nothing before the commit
    assert broker_waker().wait_idle(10)
    assert sent == [("autosales.jobs.run", ["outbox.deliver"])]
