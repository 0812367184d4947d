from datetime import time, timedelta

from autosales.checkout.expiry import checkouts_expire_stale
from autosales.checkout.retention import checkout_attempts_purge
from autosales.jobs.registry import JobResult, job


@job("checkout.expire_pending", every=timedelta(minutes=1))
def expire_pending_checkouts() -> JobResult:
    """Gives back the stock of checkouts whose card authorization never settled."""
    expired, failures = checkouts_expire_stale()
    return JobResult(items=expired, failures=failures)


@job("checkout.purge_attempts", daily_at=time(3, 30))
def purge_checkout_attempts() -> JobResult:
    """Deletes finished checkout attempts older than CHECKOUT_ATTEMPT_RETENTION_DAYS."""
    return JobResult(items=checkout_attempts_purge())
