"""A standing order's lead time: each date's order is placed early enough to arrive on or before that date.

The run of a date is due at the standing order's run time on the last day an order may be placed and still
arrive by the date with the slowest transit of its shipping method (inventory.delivery_dates.latest_order_date),
and before that day's cut-off. Stock is allocated only when the run is placed, so the rule holds for every
active distribution center: whichever center ships it, it arrives in time. A new standing order's first run
is never due before the standing order existed (it is placed at once, and promised what can be promised).
Without a shipping method, or without any active center, a run is due on its date, as before.

One `LeadTimes` per pass or page: the calendars and transit days are read once (shared through the cache).
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, replace
from functools import partial
from zoneinfo import ZoneInfo

from autosales.checkout.delivery import Transit, transit_by_method_id
from autosales.inventory.delivery_dates import (
    NoShippingDay,
    Promise,
    ShippingCalendar,
    latest_order_date,
    next_delivery_day,
    promise,
    promise_combined,
    shipping_calendars,
)
from autosales.recurring.models import StandingOrder
from autosales.recurring.schedule import Schedule

log = logging.getLogger(__name__)

# A run is placed at most this long before the moment its cut-off requires (so it is never due after it).
CUTOFF_MARGIN = dt.timedelta(minutes=30)
# The longest lead time an expansion looks ahead for: occurrences up to this many days past the notice window
# are checked for a due time inside it.
MAX_LEAD_DAYS = 62


@dataclass(frozen=True)
class LeadTimes:
    calendars: dict[int, ShippingCalendar]
    transits: dict[int, Transit]

    def transit_for(self, standing_order: StandingOrder) -> Transit | None:
        return self.transits.get(standing_order.shipping_method_id) if standing_order.shipping_method_id else None

    def placement_at(self, standing_order: StandingOrder, day: dt.date) -> dt.datetime:
        """When the run of `day` is placed: the standing order's run time on the latest order day of every center,
        and before that center's cut-off; never before the standing order was created."""
        on_the_day = _local(day, standing_order)
        transit = self.transit_for(standing_order)
        if transit is None or not self.calendars:
            return on_the_day
        moments = []
        for calendar in self.calendars.values():
            try:
                order_day = latest_order_date(calendar=calendar, arrive_by=day, transit_max=transit.transit_max)
            except NoShippingDay:
                log.warning("center %s never ships: left out of standing order lead times", calendar.code)
                continue
            moments.append(min(_local(order_day, standing_order), calendar.cutoff_at(order_day) - CUTOFF_MARGIN))
        if not moments:
            return on_the_day
        placed = min(moments)
        if standing_order.created_at is not None:
            placed = max(placed, standing_order.created_at)
        return placed

    def schedule(self, standing_order: StandingOrder) -> Schedule:
        """The standing order's schedule, its runs due early enough to arrive by their dates, and its dates that
        are no delivery day moved to the next one if the customer asked for it (`move_to_working_day`)."""
        moving = partial(next_delivery_day, calendars=self.calendars) if standing_order.move_to_working_day else None
        return replace(
            standing_order.schedule,
            placement_at=partial(self.placement_at, standing_order),
            next_delivery_day=moving,
        )

    def promise(self, standing_order: StandingOrder, *, placed_at: dt.datetime) -> Promise | None:
        """What an order of the standing order placed at `placed_at` is promised (the last center's dates)."""
        transit = self.transit_for(standing_order)
        if transit is None:
            return None
        try:
            return promise_combined(
                promise(
                    calendar=calendar,
                    moment=placed_at,
                    transit_min=transit.transit_min,
                    transit_max=transit.transit_max,
                )
                for calendar in self.calendars.values()
            )
        except NoShippingDay:
            return None


def _local(day: dt.date, standing_order: StandingOrder) -> dt.datetime:
    moment = dt.datetime.combine(day, standing_order.run_time, tzinfo=ZoneInfo(standing_order.timezone))
    return moment.astimezone(dt.UTC)


def lead_times() -> LeadTimes:
    """The active centers' calendars and the shipping methods' transit days, for one pass or page."""
    return LeadTimes(calendars=shipping_calendars(), transits=transit_by_method_id())
