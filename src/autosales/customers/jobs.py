"""The customers app's jobs (imported by the job registry at start-up)."""

import datetime as dt

from autosales.customers.signin_throttle import signin_failures_prune
from autosales.jobs.registry import job


@job("customers.signin_failures_prune", every=dt.timedelta(hours=1))
def prune_signin_failures() -> int:
    return signin_failures_prune()
