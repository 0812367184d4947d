"""Jobs under Celery: a real `celery -A autosales.jobs worker` process and the real Redis."""

import datetime as dt
import socket
import subprocess
import time
import uuid

import pytest

from autosales.core import clock, ids
from autosales.jobs.models import JobState
from autosales.notifications.models import OutboxEmail
from autosales.notifications.services import email_queue
from tests.jobs.conftest import BIN

REDIS_URL = "redis://127.0.0.1:6379/0"


def redis_reachable() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=2) as sock:
            sock.sendall(b"PING\r\n")
            return sock.recv(16).startswith(b"+PONG")
    except OSError:
        return False


def test_the_beat_schedule_is_built_from_the_registry():
    from celery.schedules import crontab

    from autosales.jobs.celery import app, beat_schedule
    from autosales.jobs.registry import job, unregister

    job("test.nightly", daily_at=dt.time(2, 15))(lambda: None)
    try:
        schedule = beat_schedule()
    finally:
        unregister("test.nightly")
    # beat's ticks only make workers look at the database's schedule early
    assert schedule["outbox.deliver"] == {"task": "autosales.jobs.due", "schedule": 10.0}
    assert schedule["test.nightly"]["schedule"] == crontab(hour=2, minute=15)
    assert {"autosales.jobs.run", "autosales.jobs.due"} <= set(app.tasks)


@pytest.mark.django_db(transaction=True)
def test_a_celery_worker_runs_the_outbox_job_end_to_end(child_env, smtp_server, tmp_path):
    if not redis_reachable():
        pytest.skip("needs Redis on 127.0.0.1:6379 (CI starts it; run `redis-server` to try locally)")
    from autosales.jobs.celery import app

    # given an email in the outbox and a Celery worker on its own queue
    email = email_queue(to="celery@example.com", template="notifications/test", context={"transport": "celery"})
    queue = f"autosales-test-{uuid.uuid4().hex[:8]}"
    child_env.update(REDIS_URL=REDIS_URL, CELERY_QUEUE=queue, EMAIL_URL=smtp_server.url)
    log = tmp_path / "celery.log"
    with log.open("w") as out:
        worker = subprocess.Popen(
            [
                str(BIN / "celery"),
                "-A",
                "autosales.jobs",
                "worker",
                "--pool=solo",
                "--without-mingle",
                "--without-gossip",
                "--without-heartbeat",
                "-Q",
                queue,
                "-n",
                f"test-{ids.random_code(6)}@%h",
                "--loglevel=INFO",
            ],
            env=child_env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
        try:
            # when the task is sent through Redis
            app.send_task("autosales.jobs.run", args=["outbox.deliver"], queue=queue)
            # then the worker delivers the email over SMTP and records the run
            arrived = smtp_server.wait_for(1, timeout=120)
        finally:
            worker.terminate()
            worker.wait(60)
    assert [m["Message-ID"] for m in arrived] == [f"<{email.message_id}>"], log.read_text()
    email.refresh_from_db()
    assert email.status == OutboxEmail.Status.SENT
    state = JobState.objects.get(name="outbox.deliver")
    # the task's run and the worker's own look at the schedule may both have run it: one of them sent the email
    assert state.runs >= 1 and state.items_total == 1


@pytest.mark.django_db(transaction=True)
def test_without_beat_a_celery_worker_runs_what_the_database_says_is_due(child_env, smtp_server, tmp_path):
    if not redis_reachable():
        pytest.skip("needs Redis on 127.0.0.1:6379 (CI starts it; run `redis-server` to try locally)")
    # given a Celery worker and no beat; delivery's own interval is an hour, the worker looks every second
    queue = f"autosales-test-{uuid.uuid4().hex[:8]}"
    child_env.update(REDIS_URL=REDIS_URL, CELERY_QUEUE=queue, EMAIL_URL=smtp_server.url, OUTBOX_DELIVERY_SECONDS="3600")
    child_env["JOBS_POLL_SECONDS"] = "1"
    log = tmp_path / "celery.log"
    with log.open("w") as out:
        worker = subprocess.Popen(
            [
                *(str(BIN / "celery"), "-A", "autosales.jobs", "worker", "--pool=solo", "--without-mingle"),
                *("--without-gossip", "-Q", queue, "-n", f"test-{ids.random_code(6)}@%h"),
            ],
            env=child_env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
        try:
            deadline = time.monotonic() + 90
            while not JobState.objects.filter(name="outbox.deliver", runs__gte=1).exists():
                assert time.monotonic() < deadline, log.read_text()
                time.sleep(0.1)
            # when an email waits and the database says delivery is due (no task is sent through Redis)
            email = email_queue(to="nobeat@example.com", template="notifications/test", context={"transport": "db"})
            JobState.objects.filter(name="outbox.deliver").update(next_run_at=clock.now())
            # then the worker's own look at the schedule delivers it
            arrived = smtp_server.wait_for(1, timeout=60)
        finally:
            worker.terminate()
            worker.wait(60)
    assert [m["Message-ID"] for m in arrived] == [f"<{email.message_id}>"], log.read_text()
