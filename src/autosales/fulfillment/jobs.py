from datetime import timedelta

from autosales.fulfillment.cancellation import orders_settle_shipped_payments
from autosales.fulfillment.capture import shipments_capture_due
from autosales.fulfillment.receiving import backorders_allocate
from autosales.jobs.registry import JobResult, job


@job("fulfillment.capture_shipments", every=timedelta(minutes=5))
def capture_shipments() -> JobResult:
    """Captures the card amounts of shipments whose capture the gateway refused or did not answer at shipping."""
    captured, failures = shipments_capture_due()
    settled, still = orders_settle_shipped_payments()
    return JobResult(items=captured + settled, failures=failures + still)


@job("fulfillment.allocate_backorders", every=timedelta(minutes=15))
def allocate_backorders() -> JobResult:
    """Gives orders waiting for stock (backorders) the units that are free in any active center."""
    return JobResult(items=backorders_allocate())
