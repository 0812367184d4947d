"""Customers due to reorder: an account that orders by hand at a usual interval and whose interval has passed.

The interval is the median gap between its last orders (at least `MIN_ORDERS` of them within `LOOK_BACK`); an
account with an active standing order reorders by itself and is left out.
"""

import datetime as dt
import itertools
import statistics
from dataclasses import dataclass

from autosales.crm.permissions import organizations_in_scope
from autosales.customers.models import Organization
from autosales.orders.models import Order
from autosales.recurring.models import StandingOrder

LOOK_BACK = dt.timedelta(days=366)
MIN_ORDERS = 3
MAX_ORDERS_READ = 5000


@dataclass(frozen=True)
class ReorderDue:
    organization: Organization
    last_order_at: dt.datetime
    usual_days: int
    days_late: int


def customers_due_to_reorder(*, user, now: dt.datetime, limit: int = 20) -> list[ReorderDue]:
    """The accounts `user` works whose usual reorder interval has passed, the latest first (three queries)."""
    accounts = organizations_in_scope(user=user).exclude(
        pk__in=StandingOrder.objects.filter(status=StandingOrder.Status.ACTIVE).values("organization_id")
    )
    rows = (
        Order.objects.filter(organization__in=accounts.values("pk"), placed_at__gte=now - LOOK_BACK, placed_at__lte=now)
        .order_by("organization_id", "placed_at")
        .values_list("organization_id", "placed_at")[:MAX_ORDERS_READ]
    )
    placed: dict[int, list[dt.datetime]] = {}
    for organization_id, placed_at in rows:
        placed.setdefault(organization_id, []).append(placed_at)
    due = []
    for organization_id, moments in placed.items():
        if len(moments) < MIN_ORDERS:
            continue
        gaps = [(b - a).total_seconds() / 86400 for a, b in itertools.pairwise(moments)]
        usual = statistics.median(gaps)
        if usual < 1:
            continue
        late = (now - moments[-1]).total_seconds() / 86400 - usual
        if late >= 0:
            due.append((organization_id, moments[-1], round(usual), int(late)))
    due.sort(key=lambda d: -d[3])
    due = due[:limit]
    organizations = Organization.objects.in_bulk([d[0] for d in due])
    return [ReorderDue(organizations[o], last, usual, late) for o, last, usual, late in due]
