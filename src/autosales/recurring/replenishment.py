"""How much of each SKU to order from suppliers: what the standing orders will take over the forecast's weeks and
what placed orders wait for (backorders), less what is available now. One rule for the replenishment view and
for `autosales simulate --receive-stock`."""

import datetime as dt

from django.db.models import Sum

from autosales.fulfillment.receiving import WAITING
from autosales.inventory.selectors import available_by_variant
from autosales.orders.models import OrderLine
from autosales.recurring.selectors import FORECAST_WEEKS, demand_forecast


def backordered_by_variant() -> dict[int, int]:
    """Units open orders wait for (backordered), per variant id, in one query."""
    rows = (
        OrderLine.objects.filter(quantity_backordered__gt=0, order__status__in=WAITING, variant__isnull=False)
        .values_list("variant_id")
        .annotate(units=Sum("quantity_backordered"))
        .order_by()
    )
    return dict(rows)


def suggested_quantities(*, today: dt.date | None = None, weeks: int = FORECAST_WEEKS) -> dict[int, int]:
    """Units to order per variant id (only those with something to order): the forecast's demand over `weeks`
    and the units orders wait for (backorders), less what is available now."""
    waiting = backordered_by_variant()
    suggested = {}
    for row in demand_forecast(weeks=weeks, today=today).rows:
        units = row.total + waiting.pop(row.variant_id, 0) - row.available
        if units > 0:
            suggested[row.variant_id] = units
    if waiting:  # SKUs no standing order takes, that orders wait for
        available = available_by_variant(variant_ids=list(waiting))
        for variant_id, units in waiting.items():
            if units > available[variant_id]:
                suggested[variant_id] = units - available[variant_id]
    return suggested
