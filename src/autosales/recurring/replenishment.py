"""How much of each SKU to order from suppliers for `autosales simulate --receive-stock`: the replenishment
view's rule (fulfillment.replenishment) over every center, with the standing orders' forecast as the demand."""

import datetime as dt

from autosales.fulfillment.replenishment import replenishment_rows
from autosales.recurring.selectors import FORECAST_WEEKS, demand_forecast


def forecast_demand(*, today: dt.date | None = None, weeks: int = FORECAST_WEEKS) -> dict[int, int]:
    """Units the standing orders will take over the forecast's weeks, per variant id."""
    return {row.variant_id: row.total for row in demand_forecast(weeks=weeks, today=today).rows}


def suggested_quantities(*, today: dt.date | None = None, weeks: int = FORECAST_WEEKS) -> dict[int, int]:
    """Units to order per variant id (only those with something to order), as the replenishment view suggests
    over all centers: the forecast's demand and what orders wait for (backorders), less what is available."""
    rows = replenishment_rows(demand=forecast_demand(today=today, weeks=weeks), needs_only=True)
    return {row.variant_id: row.suggested for row in rows}
