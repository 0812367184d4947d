from django.db import models

from autosales.core.models import BaseModel


class JobState(BaseModel):
    """One row per registered job: its schedule state, its lease, and how its last run went."""

    class Outcome(models.TextChoices):
        NEVER = "never", "Never run"
        RUNNING = "running", "Running"
        OK = "ok", "OK"
        FAILED = "failed", "Failed"

    name = models.CharField(max_length=100, unique=True)
    next_run_at = models.DateTimeField(null=True, blank=True)
    # The lease: while `locked_until` is in the future, `locked_by` alone runs this job.
    locked_by = models.CharField(max_length=200, blank=True, default="")
    locked_until = models.DateTimeField(null=True, blank=True)
    last_started_at = models.DateTimeField(null=True, blank=True)
    last_finished_at = models.DateTimeField(null=True, blank=True)
    last_duration = models.DurationField(null=True, blank=True)
    last_outcome = models.CharField(max_length=16, choices=Outcome.choices, default=Outcome.NEVER)
    last_items = models.PositiveIntegerField(default=0)
    last_failures = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)
    last_error_at = models.DateTimeField(null=True, blank=True)
    runs = models.PositiveIntegerField(default=0)
    failed_runs = models.PositiveIntegerField(default=0)
    items_total = models.PositiveBigIntegerField(default=0)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name
