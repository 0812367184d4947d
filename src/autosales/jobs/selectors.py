"""Reads for the jobs page."""

from dataclasses import dataclass

from autosales.jobs.models import JobState
from autosales.jobs.registry import JobSpec, registered_jobs


@dataclass(frozen=True)
class JobOverview:
    spec: JobSpec
    state: JobState | None

    @property
    def name(self) -> str:
        return self.spec.name


def jobs_overview() -> list[JobOverview]:
    """Every registered job with its state row (one query whatever the number of jobs)."""
    specs = registered_jobs()
    states = {state.name: state for state in JobState.objects.filter(name__in=list(specs))}
    return [JobOverview(spec=spec, state=states.get(name)) for name, spec in specs.items()]
