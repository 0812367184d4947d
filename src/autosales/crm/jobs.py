from datetime import timedelta

from autosales.crm.timeline import timeline_sync
from autosales.jobs.registry import JobResult, job


@job("crm.timeline_sync", every=timedelta(minutes=1))
def sync_timeline() -> JobResult:
    """Adds orders, standing-order changes and failed runs, and the emails the shop sent, to the customers' timelines."""
    return JobResult(items=timeline_sync())
