"""Wake-ups for Celery workers (REDIS_URL), sent so that the caller never waits for Redis.

A web request that commits an email or a due run only hands the job's name to this process's sender thread
(`broker_wake`) and answers at once. The thread sends `autosales.jobs.run` through Redis; names handed over
while it sends are sent together afterwards, once each. When Redis does not take a wake-up, the thread stops
trying for `BROKER_PAUSE_SECONDS` (a circuit breaker) and writes the wake-ups it could not send into the
schedule instead (the job's `next_run_at` becomes now): every Celery worker process runs what the database says
is due at least every `JOBS_POLL_SECONDS`, so the work waits one poll interval, not the job's interval.

One sender thread per process, made again after a fork (gunicorn's workers fork from the master).
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable

from django.conf import settings

log = logging.getLogger(__name__)

TASK = "autosales.jobs.run"


class BrokerWaker:
    """A daemon thread that sends job wake-ups to Celery; `wake(name)` only puts the name in its set."""

    def __init__(self, *, send: Callable[[str], None], pause_seconds: float) -> None:
        self._send = send
        self.pause_seconds = pause_seconds
        self._lock = threading.Lock()
        self._pending: set[str] = set()
        self._work = threading.Event()
        self._idle = threading.Event()
        self._idle.set()
        self._paused_until = 0.0
        self.sent = 0
        self.scheduled = 0
        self._thread = threading.Thread(target=self._run, name="autosales-broker-wake", daemon=True)
        self._thread.start()

    def wake(self, name: str) -> None:
        with self._lock:
            self._pending.add(name)
            self._idle.clear()
        self._work.set()

    @property
    def paused(self) -> bool:
        return time.monotonic() < self._paused_until

    def wait_idle(self, timeout: float) -> bool:
        """Wait until every name handed over is sent or written into the schedule (a process stopping; tests)."""
        return self._idle.wait(timeout)

    def _run(self) -> None:
        while True:
            self._work.wait()
            with self._lock:
                names, self._pending = sorted(self._pending), set()
                self._work.clear()
            unsent = names if self.paused else self._send_all(names)
            if unsent:
                self._schedule(unsent)
            with self._lock:
                if not self._pending:
                    self._idle.set()

    def _send_all(self, names: list[str]) -> list[str]:
        """Sends each wake-up; returns those not sent (Redis away: the breaker opens)."""
        for n, name in enumerate(names):
            try:
                self._send(name)
                self.sent += 1
            except Exception:
                log.warning(
                    "could not wake Celery workers for %s; the job is marked due in the database instead, "
                    "and Redis is not tried again for %.0f s",
                    name,
                    self.pause_seconds,
                    exc_info=True,
                )
                self._paused_until = time.monotonic() + self.pause_seconds
                return names[n:]
        return []

    def _schedule(self, names: list[str]) -> None:
        """Makes the jobs due now in the database, where every worker's runner looks at each poll."""
        from django.db import connection

        from autosales.core import clock
        from autosales.jobs.models import JobState

        try:
            now = clock.now()
            JobState.objects.filter(name__in=names, next_run_at__gt=now).update(next_run_at=now, updated_at=now)
            self.scheduled += len(names)
        except Exception:
            log.warning("could not mark %s due; they run at their next scheduled time", names, exc_info=True)
        finally:
            connection.close()


def _send_task(name: str) -> None:
    from autosales.jobs.celery import app

    app.send_task(TASK, args=[name], retry=False)


_waker: BrokerWaker | None = None
_waker_pid = 0
_waker_lock = threading.Lock()


def broker_waker() -> BrokerWaker:
    """This process's sender thread (started on first use, and again in a forked child)."""
    global _waker, _waker_pid
    pid = os.getpid()
    with _waker_lock:
        if _waker is None or _waker_pid != pid:
            _waker = BrokerWaker(send=_send_task, pause_seconds=settings.BROKER_PAUSE_SECONDS)
            _waker_pid = pid
        return _waker


def broker_wake(*, name: str) -> None:
    """Hand the wake-up for `name` to the sender thread; returns at once whether Redis is up or not."""
    broker_waker().wake(name)
