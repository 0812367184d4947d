"""Running jobs: the schedule, the per-job lease, and the record of each run."""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time
import traceback
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Case, F, Value, When

from autosales.core import clock
from autosales.jobs.broker import broker_wake
from autosales.jobs.claims import worker_id
from autosales.jobs.models import JobState
from autosales.jobs.registry import JobResult, JobSpec, job_spec, registered_jobs
from autosales.jobs.wakeups import CHANNEL, wakeups

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class JobOutcome:
    name: str
    ran: bool
    items: int = 0
    failures: int = 0
    error: str = ""
    duration: dt.timedelta | None = None
    skipped_because: str = ""


def _lease() -> dt.timedelta:
    return dt.timedelta(seconds=settings.JOBS_LEASE_SECONDS)


def job_state_ensure(*, spec: JobSpec) -> JobState:
    """The job's state row, created on first sight with its first due time."""
    state, _ = JobState.objects.get_or_create(name=spec.name, defaults={"next_run_at": spec.first_run_at(clock.now())})
    return state


def _start(*, spec: JobSpec, worker: str, only_if_due: bool) -> tuple[bool, str]:
    """Take the job's lease (exclusive jobs) and move its schedule on; (started, reason when not).

    A non-exclusive job is not locked at all: every worker may start it at once (it claims its own items), so
    its start is one update of the row's record, never a wait on another worker.
    """
    state = job_state_ensure(spec=spec)
    now = clock.now()
    scheduled = spec.next_run_after(now)
    updates = {
        "last_started_at": now,
        "last_outcome": JobState.Outcome.RUNNING,
        # A sooner due time already set (job_due_by: items another worker holds come free then) is kept: a second
        # worker starting the job meanwhile must not push it back by a whole interval.
        "next_run_at": Case(
            When(next_run_at__gt=now, next_run_at__lt=scheduled, then=F("next_run_at")), default=Value(scheduled)
        ),
        "updated_at": now,
    }
    if not spec.exclusive:
        if only_if_due and state.next_run_at is not None and state.next_run_at > now:
            return False, "not due"
        JobState.objects.filter(pk=state.pk).update(**updates)
        return True, ""
    with transaction.atomic():
        rows = JobState.objects.filter(pk=state.pk)
        if connection.features.has_select_for_update_skip_locked:
            rows = rows.select_for_update(skip_locked=True)
        state = rows.first()
        if state is None:
            return False, "another worker is starting it"
        now = clock.now()
        if only_if_due and state.next_run_at is not None and state.next_run_at > now:
            return False, "not due"
        held = state.locked_by and state.locked_by != worker and state.locked_until and state.locked_until > now
        if held:
            return False, f"running on {state.locked_by}"
        updates |= {"locked_by": worker, "locked_until": now + _lease()}
        JobState.objects.filter(pk=state.pk).update(**updates)
    return True, ""


def _finish(*, spec: JobSpec, worker: str, result: JobResult, error: str, duration: dt.timedelta) -> None:
    now = clock.now()
    updates = {
        "last_finished_at": now,
        "last_duration": duration,
        "last_items": result.items,
        "last_failures": result.failures,
        "last_outcome": JobState.Outcome.FAILED if error else JobState.Outcome.OK,
        "runs": F("runs") + 1,
        "items_total": F("items_total") + result.items,
        "updated_at": now,
    }
    if error:
        updates |= {"last_error": error, "last_error_at": now, "failed_runs": F("failed_runs") + 1}
    elif result.error:
        updates |= {"last_error": result.error, "last_error_at": now}
    JobState.objects.filter(name=spec.name).update(**updates)
    if spec.exclusive:
        JobState.objects.filter(name=spec.name, locked_by=worker).update(locked_by="", locked_until=None)


class _LeaseKeeper(threading.Thread):
    """Renews an exclusive job's lease every third of JOBS_LEASE_SECONDS while the job runs, so a job may run
    longer than its lease on a live worker, and a dead worker's job is free again within one lease."""

    def __init__(self, *, name: str, worker: str) -> None:
        super().__init__(name=f"autosales-lease-{name}", daemon=True)
        self.job, self.worker = name, worker
        self._done = threading.Event()
        self.start()

    def run(self) -> None:
        from django.db import connection as own

        try:
            while not self._done.wait(_lease().total_seconds() / 3):
                JobState.objects.filter(name=self.job, locked_by=self.worker).update(
                    locked_until=clock.now() + _lease()
                )
        except Exception:
            log.warning("could not renew the lease of job %s", self.job, exc_info=True)
        finally:
            own.close()

    def stop(self) -> None:
        self._done.set()
        self.join(10)


def _as_result(value: object) -> JobResult:
    if isinstance(value, JobResult):
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return JobResult(items=value)
    return JobResult()


def job_execute(*, name: str, worker: str | None = None, only_if_due: bool = True) -> JobOutcome:
    """Run the job `name` once unless it is not due (when `only_if_due`) or another worker holds its lease; the run is recorded either way it ends."""
    spec = job_spec(name)
    worker = worker or worker_id()
    started, reason = _start(spec=spec, worker=worker, only_if_due=only_if_due)
    if not started:
        return JobOutcome(name=name, ran=False, skipped_because=reason)
    began = time.monotonic()
    error = ""
    result = JobResult()
    keeper = _LeaseKeeper(name=name, worker=worker) if spec.exclusive else None
    try:
        result = _as_result(spec.func())
    except Exception as exc:
        log.exception("job %s failed", name)
        error = f"{type(exc).__name__}: {exc}\n\n{traceback.format_exc(limit=8)}"
    finally:
        if keeper is not None:
            keeper.stop()
    duration = dt.timedelta(seconds=time.monotonic() - began)
    _finish(spec=spec, worker=worker, result=result, error=error, duration=duration)
    return JobOutcome(
        name=name,
        ran=True,
        items=result.items,
        failures=result.failures,
        error=error or result.error,
        duration=duration,
    )


# When each worker runs each non-exclusive job next on its own schedule, by worker: such a job runs on every
# worker (each claims its own items), so one worker starting it does not make it wait for the others.
_own_schedule: dict[str, dict[str, dt.datetime]] = defaultdict(dict)


def _due_for(*, spec: JobSpec, state: JobState | None, worker: str, now: dt.datetime) -> bool:
    shared_due = state is None or state.next_run_at is None or state.next_run_at <= now
    if spec.exclusive or shared_due:
        return shared_due
    return _own_schedule[worker].setdefault(spec.name, spec.first_run_at(now)) <= now


def jobs_run_due(*, worker: str | None = None, woken: Iterable[str] = ()) -> list[JobOutcome]:
    """Run every registered job that is due now, and the `woken` ones (they have work now), one after the other;
    returns what ran.

    An exclusive job is due by its shared schedule (one worker runs it, under its lease); a non-exclusive one
    also by this worker's own schedule, so every worker runs it at its interval whoever started it last.
    """
    worker = worker or worker_id()
    woken = set(woken)
    now = clock.now()
    states = {s.name: s for s in JobState.objects.all()}
    outcomes = []
    for name, spec in registered_jobs().items():
        if not (name in woken or _due_for(spec=spec, state=states.get(name), worker=worker, now=now)):
            continue
        if not spec.exclusive:
            _own_schedule[worker][name] = spec.next_run_after(now)
        outcome = job_execute(name=name, worker=worker, only_if_due=spec.exclusive and name not in woken)
        if outcome.ran:
            outcomes.append(outcome)
    return outcomes


def seconds_until_next_due(*, cap: float, worker: str | None = None) -> float:
    """How long a runner may sleep before some job is due (at most `cap`); with `worker`, by its own schedule too."""
    specs = registered_jobs()
    if not specs:
        return cap
    states = dict(JobState.objects.filter(name__in=list(specs)).values_list("name", "next_run_at"))
    if len(states) < len(specs):
        return 0.0
    now = clock.now()
    own = _own_schedule.get(worker, {}) if worker else {}
    waits = []
    for name, spec in specs.items():
        moments = [states[name]]
        if worker and not spec.exclusive:
            moments.append(own.get(name))
        if any(moment is None for moment in moments):
            return 0.0
        waits.append((min(moments) - now).total_seconds())
    return max(0.0, min([cap, *waits]))


def job_more_work(*, name: str) -> None:
    """A non-exclusive job found more than one batch of work: make it due now, so idle workers join in.

    Other `autosales worker` processes take it at their next look at the schedule (or at once when woken);
    Celery gets a wake-up that a free worker process takes. Each of them claims its own items, so they share
    the work instead of waiting on each other.
    """
    job_request_run(name=name)


def job_due_by(*, name: str, at: dt.datetime) -> None:
    """Make the job due no later than `at` (an item another worker holds becomes free then: a worker that died
    holding it must not delay it by a whole interval of the job). A schedule already sooner is left as it is.
    Called from the job itself, whose start made its state row."""
    job_spec(name)  # an unknown name is an error, not a silent no-op
    JobState.objects.filter(name=name, next_run_at__gt=at).update(next_run_at=at, updated_at=clock.now())


def job_request_run(*, name: str) -> JobState:
    """Make the job due now, so the next runner pass runs it (also wakes the in-process runner)."""
    spec = job_spec(name)
    state = job_state_ensure(spec=spec)
    JobState.objects.filter(pk=state.pk).update(next_run_at=clock.now(), updated_at=clock.now())
    state.refresh_from_db()
    job_wake_on_commit(name=name)
    return state


def job_wake_on_commit(*, name: str) -> None:
    """Wake the runners for `name` when the caller's transaction commits (nothing if it rolls back).

    On PostgreSQL the NOTIFY is sent in the caller's transaction, so runners in other processes hear of the
    work exactly when it is committed; in this process and for Celery, `job_wake` runs on commit.
    """
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_notify(%s, %s)", [CHANNEL, name])
    transaction.on_commit(lambda: job_wake(name=name))


def job_wake(*, name: str) -> None:
    """Tell workers that `name` has work now: the in-process runner at once, and Celery when REDIS_URL is set.

    The Celery wake-up is handed to a sender thread (`jobs.broker`): the caller (a web request) never waits for
    Redis, and while Redis is away the workers find the work at their next look at the database.
    """
    wakeups.add([name])
    if settings.REDIS_URL:
        broker_wake(name=name)
