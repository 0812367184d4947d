"""The Celery app: `celery -A autosales.jobs worker` and, optionally, `celery -A autosales.jobs beat`.

The database is the schedule (`JobState.next_run_at`), not beat: every worker process runs what is due from it,
in a runner thread beside the process's tasks (`jobs.runner`, the same loop as `autosales worker`), at least
every JOBS_POLL_SECONDS. Redis (REDIS_URL) only carries wake-ups that make a worker look earlier:
`autosales.jobs.run` ("job X has work now", sent after a commit, see `jobs.broker`) and beat's
`autosales.jobs.due` on each job's schedule. So beat may be stopped, or two may run; a tick lost while Redis
was away is caught up at the next poll. The per-job lease and the claimed rows in the database keep every job
and item exactly-once whoever runs it.
"""

import os

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "autosales.settings")
django.setup()

from celery import Celery  # noqa: E402
from celery.schedules import crontab  # noqa: E402
from celery.signals import worker_process_init, worker_process_shutdown, worker_shutdown  # noqa: E402
from django.conf import settings  # noqa: E402

from autosales.jobs.registry import registered_jobs, time_zone  # noqa: E402

app = Celery("autosales")
app.conf.update(
    broker_url=settings.REDIS_URL or "redis://127.0.0.1:6379/0",
    broker_connection_retry_on_startup=True,
    # A worker that loses Redis keeps trying to reconnect for as long as it runs (its runner thread works on
    # from the database meanwhile), rather than exiting after Celery's default of 100 tries.
    broker_connection_max_retries=None,
    broker_connection_timeout=2,
    task_ignore_result=True,
    task_acks_late=True,
    worker_prefetch_multiplier=1,
    task_default_queue=os.environ.get("CELERY_QUEUE", "autosales"),
    timezone=time_zone().key,
    enable_utc=True,
    worker_hijack_root_logger=False,
)


@app.task(name="autosales.jobs.run", ignore_result=True)
def run_job(name: str) -> list[dict]:
    """A wake-up: run the job `name` now (it has work) and whatever else the database says is due."""
    from autosales.jobs.services import jobs_run_due

    return [_summary(outcome) for outcome in jobs_run_due(woken={name})]


@app.task(name="autosales.jobs.due", ignore_result=True)
def run_due() -> list[dict]:
    """Beat's tick: run what the database says is due (nothing when another worker already did)."""
    from autosales.jobs.services import jobs_run_due

    return [_summary(outcome) for outcome in jobs_run_due()]


def _summary(outcome) -> dict:
    return {"name": outcome.name, "items": outcome.items, "failures": outcome.failures}


def beat_schedule() -> dict:
    """One beat entry per registered job, on the job's own schedule: a tick that makes workers look early."""
    schedule = {}
    for name, spec in registered_jobs().items():
        if spec.every is not None:
            when = spec.every.total_seconds()
        else:
            when = crontab(hour=spec.daily_at.hour, minute=spec.daily_at.minute)
        schedule[name] = {"task": "autosales.jobs.due", "schedule": when}
    return schedule


app.conf.beat_schedule = beat_schedule()

_runner = None


@worker_process_init.connect
def _start_runner(**_) -> None:
    """Each worker process (prefork child, or the solo worker) runs the due jobs from the database itself."""
    global _runner
    from autosales.jobs.runner import start_background_runner, worker_process_tune

    worker_process_tune()
    if _runner is None:
        _runner = start_background_runner()


@worker_process_shutdown.connect
@worker_shutdown.connect
def _stop_runner(**_) -> None:
    """A warm shutdown lets the runner finish the item in hand."""
    global _runner
    if _runner is not None:
        _runner.stop(timeout=60)
        _runner = None
