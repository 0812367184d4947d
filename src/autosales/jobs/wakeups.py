"""Wake-ups: the hint that a job has work now, so that a runner runs it at once instead of at its next poll.

A wake-up carries no work and promises nothing: the job still finds its work in the database and claims it
there, so a lost wake-up only delays the work until the next poll and a repeated one finds nothing left.

- In the process: `wakeups.add(names)` (called on commit by `jobs.services.job_wake`) marks the jobs woken
  and sets the event the runner sleeps on.
- Between processes on PostgreSQL: `jobs.services.job_wake_on_commit` sends `NOTIFY autosales_jobs` with
  the job's name in the caller's transaction (for a new outbox email the table's trigger sends it, so the
  business transaction spends no statement on it), delivered exactly when the work is committed, and
  `NotificationListener` (a thread beside each runner) LISTENs on a connection of its own and passes the
  names on to `wakeups`.
- With Celery (REDIS_URL) the job's task is sent on commit (`jobs.services.job_wake`).
"""

from __future__ import annotations

import logging
import os
import select
import threading
from collections.abc import Iterable

from django.db import connection

log = logging.getLogger(__name__)

CHANNEL = "autosales_jobs"


def notify_trigger_sql(*, table: str, trigger: str, function: str, job: str) -> tuple[str, str]:
    """(create, drop) SQL of a PostgreSQL trigger that wakes `job` when rows are inserted into `table`: NOTIFY from
    the inserting transaction itself, delivered at its commit, never for a rollback, one per statement."""
    create = f"""
CREATE OR REPLACE FUNCTION {function}() RETURNS trigger AS $$
BEGIN
    PERFORM pg_notify('{CHANNEL}', '{job}');
    RETURN NULL;
END
$$ LANGUAGE plpgsql;
DROP TRIGGER IF EXISTS {trigger} ON {table};
CREATE TRIGGER {trigger} AFTER INSERT ON {table}
    FOR EACH STATEMENT EXECUTE FUNCTION {function}();
"""
    drop = f"""
DROP TRIGGER IF EXISTS {trigger} ON {table};
DROP FUNCTION IF EXISTS {function}();
"""
    return create, drop


def notify_trigger_operation(*, table: str, trigger: str, function: str, job: str):
    """A migration operation that adds (and on reverse removes) the trigger of `notify_trigger_sql`, on
    PostgreSQL only (other databases have no NOTIFY: their runners poll)."""
    from django.db import migrations

    create, drop = notify_trigger_sql(table=table, trigger=trigger, function=function, job=job)

    def forwards(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(create)

    def backwards(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(drop)

    return migrations.RunPython(forwards, backwards)


class Wakeups:
    """The jobs woken since the runner last looked, and the event it sleeps on."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._names: set[str] = set()
        self._event = threading.Event()

    def add(self, names: Iterable[str]) -> None:
        with self._lock:
            self._names.update(names)
        self._event.set()

    def interrupt(self) -> None:
        """Wake the runner without naming a job (to stop it, or to make it look at its schedule)."""
        self._event.set()

    def take(self) -> set[str]:
        """The jobs woken since the last call; a wake-up arriving after this call ends the next `wait` at once."""
        with self._lock:
            names, self._names = self._names, set()
            self._event.clear()
        return names

    def wait(self, timeout: float) -> bool:
        return self._event.wait(timeout)


wakeups = Wakeups()


class NotificationListener(threading.Thread):
    """LISTENs for wake-ups from other processes (PostgreSQL) and hands them to `wakeups`.

    It waits on its own connection at most `timeout` seconds at a time (the runner's poll), checking the
    connection after each quiet wait; a lost connection is opened again, and the runner is woken then, in
    case a wake-up was missed meanwhile.
    """

    def __init__(self, *, timeout: float):
        super().__init__(name="autosales-jobs-listen", daemon=True)
        self.timeout = timeout
        self._stopping = threading.Event()
        self._stop_read, self._stop_write = os.pipe()
        self.listening = threading.Event()

    def run(self) -> None:
        try:
            while not self._stopping.is_set():
                try:
                    self._listen()
                except Exception:
                    log.warning("listening for job wake-ups failed; trying again", exc_info=True)
                    wakeups.interrupt()
                    self._stopping.wait(min(self.timeout, 5))
        finally:
            os.close(self._stop_read)

    def _listen(self) -> None:
        raw = connection.get_new_connection(connection.get_connection_params())
        try:
            raw.autocommit = True
            raw.execute(f"LISTEN {CHANNEL}")
            self.listening.set()
            while not self._stopping.is_set():
                ready, _, _ = select.select([raw.fileno(), self._stop_read], [], [], self.timeout)
                if self._stop_read in ready:
                    return
                if not ready:
                    raw.execute("SELECT 1")  # a dead connection raises here rather than waiting forever
                names = [notice.payload for notice in raw.notifies(timeout=0)]
                if names:
                    wakeups.add(names)
        finally:
            self.listening.clear()
            raw.close()

    def stop(self, timeout: float | None = 10) -> None:
        self._stopping.set()
        try:
            os.write(self._stop_write, b"x")
        finally:
            os.close(self._stop_write)
        if self.is_alive() and threading.current_thread() is not self:
            self.join(timeout)


def listener_start(*, timeout: float) -> NotificationListener | None:
    """Start listening for wake-ups from other processes when the database can carry them (PostgreSQL)."""
    if connection.vendor != "postgresql":
        return None
    listener = NotificationListener(timeout=timeout)
    listener.start()
    return listener
