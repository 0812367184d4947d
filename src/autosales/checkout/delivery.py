"""The delivery dates an order is promised as it is placed: from the centers its units are allocated from, the
shipping method's transit days, and the date a business customer asked for (never earlier than possible)."""

import datetime as dt
import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from django.utils import timezone
from django.utils.translation import gettext

from autosales.checkout.errors import CheckoutError
from autosales.core import clock
from autosales.core.cache_versions import DELIVERY, cached_for_versions
from autosales.core.errors import DomainError
from autosales.customers.models import Organization
from autosales.inventory.allocation import AllocationPart
from autosales.inventory.delivery_dates import (
    NoShippingDay,
    Promise,
    ShippingCalendar,
    arrival_words,
    date_words,
    promise_for_warehouses,
    ship_words,
    shipping_calendars,
    warehouses_for,
)
from autosales.pricing.shipping import ShippingMethod

log = logging.getLogger(__name__)

FIELD = "requested_delivery_date"


def requested_date_check(*, organization: Organization, requested: dt.date | None) -> None:
    """Only a business customer (an organization with account terms) may ask for a later delivery date."""
    if requested is not None and not organization.has_account_terms:
        raise DomainError(
            CheckoutError.DELIVERY_DATE_NOT_ALLOWED,
            "Requested delivery date: choosing one is for business accounts with account terms; leave it empty.",
            FIELD,
        )


def requested_date_refuse_early(*, natural: Promise | None, requested: dt.date | None) -> None:
    """Raises when `requested` is earlier than the last day an order placed now may arrive."""
    if requested is not None and natural is not None and requested < natural.arrives_to:
        raise DomainError(
            CheckoutError.DELIVERY_DATE_TOO_EARLY,
            f"Requested delivery date: the earliest we can promise is {date_words(natural.arrives_to)}, "
            f"{natural.arrives_to:%Y}; choose that day or a later one.",
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


# Estimates the store shows before the order is placed (product page, cart, checkout): from the stock read for
# the page, the cached calendars and transit days; no query of their own when the cache is warm.


@dataclass(frozen=True)
class Transit:
    """A shipping method's name and transit days, as the estimates need them."""

    code: str
    name: str
    transit_min: int
    transit_max: int

    @property
    def days(self) -> tuple[int, int]:
        return (self.transit_min, self.transit_max)

    @classmethod
    def of(cls, method: ShippingMethod) -> "Transit":
        return cls(
            code=method.code,
            name=method.name,
            transit_min=method.transit_days_min,
            transit_max=method.transit_days_max,
        )


def _transits_build() -> dict[int, Transit]:
    return {method.pk: Transit.of(method) for method in ShippingMethod.objects.all()}


def transit_by_method_id() -> dict[int, Transit]:
    """Every shipping method's transit days by id, shared through the cache until a shipping method changes."""
    return cached_for_versions(name="shipping-transits", parts=(), kinds=(DELIVERY,), build=_transits_build)


def _cheapest_build() -> Transit | None:
    method = ShippingMethod.objects.filter(is_active=True).order_by("base_rate", "position", "name").first()
    return Transit.of(method) if method is not None else None


def cheapest_transit() -> Transit | None:
    """The active shipping method with the lowest base rate (what a shopper who has not chosen yet would pick),
    shared through the cache until a shipping method changes."""
    return cached_for_versions(name="cheapest-shipping", parts=(), kinds=(DELIVERY,), build=_cheapest_build)


@dataclass(frozen=True)
class DeliveryEstimate:
    """What the store says about delivery: "Ships today if ordered within 2 h 14 min", "Arrives Tue, Mar 3 – …"."""

    promise: Promise | None
    method_name: str
    today: dt.date  # in the reader's zone

    @property
    def ship_text(self) -> str:
        if self.promise is None:
            return gettext("Ships when back in stock")
        return ship_words(self.promise, today=self.today)

    @property
    def arrival_text(self) -> str:
        return arrival_words(self.promise) if self.promise is not None else ""


def delivery_estimate(
    *,
    quantities: Mapping[int, int],
    available: Mapping[int, Mapping[int, int]],
    transit: Transit | None,
    moment: dt.datetime | None = None,
) -> DeliveryEstimate | None:
    """The estimate for these quantities (variant id -> units) from the centers they would be allocated from
    (`available`: units per variant and warehouse, from inventory.selectors.available_by_warehouse); None when
    no shipping method is active. No promise (ships when back in stock) when some units are not in stock."""
    if transit is None:
        return None
    moment = moment or clock.now()
    calendars = shipping_calendars()
    used = warehouses_for(calendars=calendars, available=available, quantities=quantities)
    promised = None
    if used:
        try:
            promised = promise_for_warehouses(
                calendars=calendars,
                warehouse_ids=used,
                moment=moment,
                transit_min=transit.transit_min,
                transit_max=transit.transit_max,
            )
        except NoShippingDay:
            # A center set up never to ship: the page still shows, without a promise; placing the order says why.
            log.warning("no delivery estimate: a center of %s has no shipping day", sorted(used), exc_info=True)
    return DeliveryEstimate(promise=promised, method_name=transit.name, today=timezone.localdate(moment))
