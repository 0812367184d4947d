from datetime import timedelta

from autosales.checkout.expiry import checkouts_expire_stale
from autosales.jobs.registry import JobResult, job


@job("checkout.expire_pending", every=timedelta(minutes=1))
def expire_pending_checkouts() -> JobResult:
    """Gives back the stock of checkouts whose card authorization never settled."""
    expired, failures = checkouts_expire_stale()
    return JobResult(items=expired, failures=failures)
