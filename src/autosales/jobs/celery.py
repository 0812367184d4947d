"""The Celery app: `celery -A autosales.jobs worker` and `celery -A autosales.jobs beat`.

Redis (REDIS_URL) carries only wake-ups: beat sends "run job X" on each job's schedule, and a
worker runs the same registered function that the in-process runner would, through
`job_execute`, so the per-job lease and the claimed rows in the database keep it exactly-once.
"""

import os

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "autosales.settings")
django.setup()

from celery import Celery  # noqa: E402
from celery.schedules import crontab  # noqa: E402
from django.conf import settings  # noqa: E402

from autosales.jobs.registry import registered_jobs, time_zone  # noqa: E402

app = Celery("autosales")
app.conf.update(
    broker_url=settings.REDIS_URL or "redis://127.0.0.1:6379/0",
    broker_connection_retry_on_startup=True,
    broker_connection_timeout=5,
    task_ignore_result=True,
    task_acks_late=True,
    worker_prefetch_multiplier=1,
    task_default_queue=os.environ.get("CELERY_QUEUE", "autosales"),
    timezone=time_zone().key,
    enable_utc=True,
    worker_hijack_root_logger=False,
)


@app.task(name="autosales.jobs.run", ignore_result=True)
def run_job(name: str) -> dict:
    """Run one registered job now (beat is the schedule); skipped while another worker holds its lease."""
    from autosales.jobs.services import job_execute

    outcome = job_execute(name=name, only_if_due=False)
    return {"name": name, "ran": outcome.ran, "items": outcome.items, "failures": outcome.failures}


def beat_schedule() -> dict:
    """One beat entry per registered job, on the job's own schedule."""
    schedule = {}
    for name, spec in registered_jobs().items():
        if spec.every is not None:
            when = spec.every.total_seconds()
        else:
            when = crontab(hour=spec.daily_at.hour, minute=spec.daily_at.minute)
        schedule[name] = {"task": "autosales.jobs.run", "schedule": when, "args": (name,)}
    return schedule


app.conf.beat_schedule = beat_schedule()
