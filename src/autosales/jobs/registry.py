"""The job registry: plain, idempotent functions with a schedule.

    from autosales.jobs.registry import job

    @job("recurring.generate", every=timedelta(minutes=5))
    def generate_runs() -> JobResult | int | None: ...

Jobs live in a module `jobs.py` of their app; every installed app's `jobs` module is imported when
Django starts, so the in-process runner, `autosales worker` and Celery beat all see the same jobs.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from django.conf import settings


@dataclass(frozen=True)
class JobResult:
    """What a job reports back: items handled and items that failed (shown in the back office)."""

    items: int = 0
    failures: int = 0
    error: str = ""
    # What it did, one dict per thing ("type" and details), for `autosales simulate` to print.
    events: tuple[dict, ...] = ()


@dataclass(frozen=True)
class JobSpec:
    name: str
    func: Callable[[], JobResult | int | None]
    every: dt.timedelta | None = None
    daily_at: dt.time | None = None
    # An exclusive job runs on one worker at a time (a lease row); a non-exclusive one claims its
    # own items (see claims.py) and may run on every worker at once.
    exclusive: bool = True
    # For a job whose work falls on known days (reminders, the 1st of the month): the next moment after the given
    # one at which it will have something to do, or None. A simulation of time (`autosales simulate`) stops there.
    work_due: Callable[[dt.datetime], dt.datetime | None] | None = None

    @property
    def schedule_label(self) -> str:
        if self.every is not None:
            seconds = int(self.every.total_seconds())
            if seconds % 3600 == 0:
                return f"every {seconds // 3600} h"
            if seconds % 60 == 0:
                return f"every {seconds // 60} min"
            return f"every {seconds} s"
        assert self.daily_at is not None
        return f"daily at {self.daily_at:%H:%M} ({time_zone().key})"

    def next_run_after(self, moment: dt.datetime) -> dt.datetime:
        """The first scheduled moment strictly after `moment` (for `every` jobs: `moment` + interval)."""
        if self.every is not None:
            return moment + self.every
        assert self.daily_at is not None
        local = moment.astimezone(time_zone())
        candidate = dt.datetime.combine(local.date(), self.daily_at, tzinfo=time_zone())
        if candidate <= local:
            candidate = dt.datetime.combine(local.date() + dt.timedelta(days=1), self.daily_at, tzinfo=time_zone())
        return candidate.astimezone(dt.UTC)

    def first_run_at(self, now: dt.datetime) -> dt.datetime:
        """When a job never run before is first due: at once for interval jobs, the next slot for daily ones."""
        if self.every is not None:
            return now
        return self.next_run_after(now)


_REGISTRY: dict[str, JobSpec] = {}


def time_zone() -> ZoneInfo:
    return ZoneInfo(getattr(settings, "JOBS_TIME_ZONE", None) or settings.TIME_ZONE)


def job(
    name: str,
    every: dt.timedelta | None = None,
    daily_at: dt.time | None = None,
    *,
    exclusive: bool = True,
    work_due: Callable[[dt.datetime], dt.datetime | None] | None = None,
) -> Callable[[Callable], Callable]:
    """Register the decorated no-argument function as the job `name`, run on exactly one schedule."""
    if (every is None) == (daily_at is None):
        raise ValueError(f"job {name!r}: give exactly one of every= or daily_at=")
    if every is not None and every.total_seconds() < 1:
        raise ValueError(f"job {name!r}: every= must be at least one second")
    if daily_at is not None and daily_at.tzinfo is not None:
        raise ValueError(f"job {name!r}: daily_at= is a wall-clock time in JOBS_TIME_ZONE, without tzinfo")

    def register(func: Callable) -> Callable:
        existing = _REGISTRY.get(name)
        if existing is not None and (existing.func.__module__, existing.func.__qualname__) != (
            func.__module__,
            func.__qualname__,
        ):
            raise ValueError(f"job {name!r} is already registered by {existing.func.__module__}")
        _REGISTRY[name] = JobSpec(
            name=name, func=func, every=every, daily_at=daily_at, exclusive=exclusive, work_due=work_due
        )
        return func

    return register


def registered_jobs() -> dict[str, JobSpec]:
    """Every registered job by name, sorted by name."""
    return dict(sorted(_REGISTRY.items()))


def job_spec(name: str) -> JobSpec:
    from autosales.core.errors import NotFound
    from autosales.jobs.errors import JobError

    try:
        return _REGISTRY[name]
    except KeyError:
        raise NotFound(JobError.UNKNOWN_JOB, f"There is no job named {name!r}.", field="name") from None


def unregister(name: str) -> None:
    """Remove a job (tests register throw-away jobs and clean up after themselves)."""
    _REGISTRY.pop(name, None)
