"""The delivery dates an order is promised as it is placed: from the centers its units are allocated from, the
shipping method's transit days, and the date a business customer asked for (never earlier than possible)."""

import datetime as dt
from collections.abc import Iterable, Mapping

from autosales.checkout.errors import CheckoutError
from autosales.core.errors import DomainError
from autosales.customers.models import Organization
from autosales.inventory.allocation import AllocationPart
from autosales.inventory.delivery_dates import Promise, ShippingCalendar, date_words, promise_for_warehouses
from autosales.pricing.shipping import ShippingMethod

FIELD = "requested_delivery_date"


def requested_date_check(*, organization: Organization, requested: dt.date | None) -> None:
    """Only a business customer (an organization with account terms) may ask for a later delivery date."""
    if requested is not None and not organization.has_account_terms:
        raise DomainError(
            CheckoutError.DELIVERY_DATE_NOT_ALLOWED,
            "Choosing a delivery date is for business accounts with account terms; leave it empty.",
            FIELD,
        )


def requested_date_refuse_early(*, natural: Promise | None, requested: dt.date | None) -> None:
    """Raises when `requested` is earlier than the last day an order placed now may arrive."""
    if requested is not None and natural is not None and requested < natural.arrives_to:
        raise DomainError(
            CheckoutError.DELIVERY_DATE_TOO_EARLY,
            f"The earliest delivery date we can promise is {date_words(natural.arrives_to)}, "
            f"{natural.arrives_to:%Y}: choose that day or a later one.",
            FIELD,
        )


def order_promise(
    *,
    calendars: Mapping[int, ShippingCalendar],
    parts: Iterable[AllocationPart],
    shipping_method: ShippingMethod,
    moment: dt.datetime,
    requested: dt.date | None = None,
) -> Promise | None:
    """The promise of an order allocated as `parts`, held back for a `requested` date later than possible; raises
    DomainError (field requested_delivery_date) when it is earlier. None: no center of the plan has a calendar."""
    warehouse_ids = {part.warehouse_id for part in parts}
    transit = {"transit_min": shipping_method.transit_days_min, "transit_max": shipping_method.transit_days_max}
    natural = promise_for_warehouses(calendars=calendars, warehouse_ids=warehouse_ids, moment=moment, **transit)
    if requested is None or natural is None:
        return natural
    requested_date_refuse_early(natural=natural, requested=requested)
    return promise_for_warehouses(
        calendars=calendars, warehouse_ids=warehouse_ids, moment=moment, not_before=requested, **transit
    )
