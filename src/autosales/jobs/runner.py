"""The job loop: a thread inside `autosales serve` / `autosales demo`, or the whole of `autosales worker`."""

from __future__ import annotations

import logging
import sys
import threading

from django.conf import settings
from django.db import close_old_connections, connection

from autosales.jobs.claims import worker_id
from autosales.jobs.services import jobs_run_due, seconds_until_next_due
from autosales.jobs.wakeups import listener_start, wakeups

log = logging.getLogger(__name__)

# How soon a thread waiting for the interpreter gets it, in a process that only runs jobs. Its helper threads wait
# on other processes (the one that hands emails to the SMTP process of `notifications.smtp_process` and collects
# its answers, the wake-up listener) while the job's thread renders and claims; with CPython's default, 5 ms, each
# of their turns could wait that long. Not for web processes.
WORKER_SWITCH_INTERVAL = 0.0001


def worker_process_tune() -> None:
    """Sets up a process that only runs jobs (`autosales worker`, a Celery worker process)."""
    sys.setswitchinterval(WORKER_SWITCH_INTERVAL)


def run_loop(*, stop: threading.Event, poll_seconds: float | None = None) -> None:
    """Run due jobs until `stop` is set, sleeping until the next job is due (at most `poll_seconds`) or a wake-up.

    A wake-up (see jobs.wakeups: an email committed in this process, or a NOTIFY from another one on
    PostgreSQL) runs the woken job at once, whether its schedule says it is due or not.
    """
    poll = settings.JOBS_POLL_SECONDS if poll_seconds is None else poll_seconds
    worker = worker_id()
    listener = listener_start(timeout=poll)
    log.info("job runner %s started", worker)
    try:
        while not stop.is_set():
            wait = poll
            try:
                close_old_connections()
                ran = jobs_run_due(worker=worker, woken=wakeups.take())
                wait = seconds_until_next_due(cap=poll, worker=worker)
                if not ran and wait == 0:
                    # Due but held by another worker (or one that died, until its lease ends): look again later.
                    wait = poll
            except Exception:
                # The database may be away for a moment (restart, failover): try again at the next poll.
                log.exception("job runner pass failed")
            if stop.is_set():
                break
            if wait > 0:
                wakeups.wait(wait)
    finally:
        if listener is not None:
            listener.stop()
        connection.close()
        log.info("job runner %s stopped", worker)


class RunnerThread(threading.Thread):
    """The in-process runner; `stop()` ends it after the job it is running, if any."""

    def __init__(self, *, poll_seconds: float | None = None):
        super().__init__(name="autosales-jobs", daemon=True)
        self.stop_event = threading.Event()
        self.poll_seconds = poll_seconds

    def run(self) -> None:
        run_loop(stop=self.stop_event, poll_seconds=self.poll_seconds)

    def stop(self, timeout: float | None = 30) -> None:
        self.stop_event.set()
        wakeups.interrupt()
        if self.is_alive() and threading.current_thread() is not self:
            self.join(timeout)


def start_background_runner(*, poll_seconds: float | None = None) -> RunnerThread:
    """Start the in-process job runner thread and return it (call `.stop()` to end it)."""
    thread = RunnerThread(poll_seconds=poll_seconds)
    thread.start()
    return thread
