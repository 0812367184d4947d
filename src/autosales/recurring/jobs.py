from datetime import timedelta

from autosales.jobs.registry import JobResult, job
from autosales.jobs.services import job_due_by, job_more_work
from autosales.recurring.scheduler import (
    notices_send,
    runs_due_exist,
    runs_held_until,
    runs_materialize,
    runs_place,
)


@job("recurring.materialize", every=timedelta(minutes=5))
def materialize_runs() -> JobResult:
    """Creates the run of every standing-order occurrence that is due or inside its notice window."""
    result = runs_materialize()
    return JobResult(items=result.items, failures=result.failures)


@job("recurring.notices", every=timedelta(minutes=15))
def send_notices() -> JobResult:
    """Writes the advance-notice email of each upcoming standing-order run, once."""
    result = notices_send()
    return JobResult(items=result.items, failures=result.failures)


# Not exclusive: every worker may place runs at once; each run is claimed by one of them.
@job("recurring.place", every=timedelta(minutes=1), exclusive=False)
def place_due_runs() -> JobResult:
    """Places every due standing-order run through checkout, exactly once each."""
    total = JobResult()
    first = True
    while True:
        result = runs_place()
        if first and result.items and runs_due_exist():
            job_more_work(name="recurring.place")  # more than a batch is due: idle workers join in
        first = False
        total = JobResult(items=total.items + result.items, failures=total.failures + result.failures)
        if result.items == 0:
            held_until = runs_held_until()
            if held_until is not None:
                # Due runs another worker holds: if it died, they are free when its lease ends, not a minute on.
                job_due_by(name="recurring.place", at=held_until)
            return total
