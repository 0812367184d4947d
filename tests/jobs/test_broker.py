"""Wake-ups for Celery are sent by a thread of their own: the caller never waits for Redis, and a wake-up Redis
cannot take is written into the schedule (the job becomes due now) for the workers' next look at the database."""

import datetime as dt
import threading

import pytest

from autosales.core import clock
from autosales.jobs.broker import BrokerWaker
from autosales.jobs.models import JobState

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_wake_up_returns_at_once_while_the_broker_hangs():
    # given a broker that hangs (Mock: a send that blocks until released, as a Redis that accepts and never answers)
    release = threading.Event()
    sent = []

    def hanging_send(name):
        release.wait(30)
        sent.append(name)

    waker = BrokerWaker(send=hanging_send, pause_seconds=30)
    # when two wake-ups are handed over while the first send hangs
    waker.wake("outbox.deliver")
    waker.wake("recurring.place")
    waker.wake("recurring.place")
    # then the caller is not held (we got here), and once the broker answers each name is sent once
    assert not waker.wait_idle(0.2)
    release.set()
    assert waker.wait_idle(30)
    assert sorted(sent) == ["outbox.deliver", "recurring.place"]


def test_a_wake_up_redis_cannot_take_makes_the_job_due_and_opens_the_breaker():
    # given jobs that are not due for an hour
    later = clock.now() + dt.timedelta(hours=1)
    JobState.objects.create(name="outbox.deliver", next_run_at=later)
    JobState.objects.create(name="recurring.place", next_run_at=later)
    attempts = []

    def refused(name):  # Mock: what kombu raises when Redis refuses the connection
        attempts.append(name)
        raise ConnectionRefusedError(111, "Connection refused")

    waker = BrokerWaker(send=refused, pause_seconds=60)
    # when a wake-up cannot be sent
    waker.wake("outbox.deliver")
    assert waker.wait_idle(30)
    # then the job is due now in the database, where every worker's runner looks at each poll
    assert JobState.objects.get(name="outbox.deliver").next_run_at <= clock.now()
    assert waker.paused
    # and while the breaker is open, Redis is not tried again: the next wake-up goes straight to the schedule
    waker.wake("recurring.place")
    assert waker.wait_idle(30)
    assert attempts == ["outbox.deliver"]
    assert JobState.objects.get(name="recurring.place").next_run_at <= clock.now()
