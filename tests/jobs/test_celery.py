"""Jobs under Celery: a real `celery -A autosales.jobs worker` process and the real Redis."""

import datetime as dt
import socket
import subprocess
import uuid

import pytest

from autosales.core import ids
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
    assert schedule["outbox.deliver"] == {"task": "autosales.jobs.run", "schedule": 10.0, "args": ("outbox.deliver",)}
    assert schedule["test.nightly"]["schedule"] == crontab(hour=2, minute=15)
    assert "autosales.jobs.run" in app.tasks


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
    assert state.runs == 1 and state.last_items == 1
