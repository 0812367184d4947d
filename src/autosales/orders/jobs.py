from datetime import timedelta

from autosales.jobs.registry import JobResult, job
from autosales.orders.services import orders_capture_placed, orders_settle_cancelled_payments


@job("orders.capture_placed", every=timedelta(minutes=5))
def capture_placed_orders() -> JobResult:
    """Captures card payments of placed orders whose capture failed at checkout."""
    captured, failures = orders_capture_placed()
    return JobResult(items=captured, failures=failures)


@job("orders.settle_cancelled_payments", every=timedelta(minutes=10))
def settle_cancelled_payments() -> JobResult:
    """Voids or refunds card payments of cancelled orders that the gateway did not settle at cancel time."""
    settled, failures = orders_settle_cancelled_payments()
    return JobResult(items=settled, failures=failures)
