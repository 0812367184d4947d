"""Customers due to reorder: the accounts whose orders overall come at a regular rhythm (the stored reorder
predictions, `crm.prediction`) and whose predicted date has come without an order or a standing order covering it.
"""

import datetime as dt
from dataclasses import dataclass

from autosales.crm.permissions import scope_filter
from autosales.crm.prediction.selectors import uncovered_regular_predictions
from autosales.customers.models import Organization

MIN_ORDERS = 3


@dataclass(frozen=True)
class ReorderDue:
    organization: Organization
    last_order_at: dt.datetime
    usual_days: int
    days_late: int


def customers_due_to_reorder(*, user, now: dt.datetime, limit: int = 20) -> list[ReorderDue]:
    """The accounts `user` works whose predicted reorder date has passed, the latest first (one query)."""
    today = now.date()
    predictions = (
        uncovered_regular_predictions()
        .filter(scope_filter(user=user), variant__isnull=True, next_on__lte=today)
        .order_by("next_on", "id")[:limit]
    )
    return [
        ReorderDue(p.organization, p.last_order_at, round(p.interval_days), (today - p.next_on).days)
        for p in predictions
    ]
