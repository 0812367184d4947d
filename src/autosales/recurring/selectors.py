"""Reads of standing orders: lists, upcoming occurrences with estimated totals, the demand forecast."""

from __future__ import annotations

import datetime as dt
import logging
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.db.models import Prefetch, Q, QuerySet

from autosales.catalog.models import Variant
from autosales.checkout.pricing import LineRequest, Quote, quote
from autosales.core import clock
from autosales.core.errors import DomainError, NotFound
from autosales.core.money import quantize
from autosales.customers.models import Organization
from autosales.inventory.delivery_dates import date_words, delivery_day_problem
from autosales.inventory.selectors import available_by_variant
from autosales.pricing.selectors import unit_prices_for_organizations
from autosales.recurring.errors import RecurringError
from autosales.recurring.lead_time import lead_times
from autosales.recurring.models import Change, Run, StandingOrder, StandingOrderLine
from autosales.recurring.schedule import ScheduleError

log = logging.getLogger(__name__)

FORECAST_WEEKS = 13


def standing_orders_for_organization(*, organization: Organization, status: str | None = None) -> QuerySet:
    queryset = StandingOrder.objects.filter(organization=organization).select_related("shipping_method")
    if status:
        queryset = queryset.filter(status=status)
    return queryset.prefetch_related(
        Prefetch("lines", queryset=StandingOrderLine.objects.select_related("variant__product"))
    ).order_by("-created_at")


def standing_orders_for_staff(*, status: str | None = None, query: str = "") -> QuerySet:
    queryset = StandingOrder.objects.select_related("organization", "shipping_method").prefetch_related(
        Prefetch("lines", queryset=StandingOrderLine.objects.select_related("variant"))
    )
    if status:
        queryset = queryset.filter(status=status)
    if query:
        queryset = queryset.filter(organization__name__icontains=query)
    return queryset.order_by("-created_at")


def standing_order_for(*, public_id: str, organization: Organization | None) -> StandingOrder:
    """The standing order with this public id if it belongs to `organization` (None: staff, any organization)."""
    queryset = StandingOrder.objects.select_related(
        "organization", "created_by", "shipping_address", "shipping_method", "payment_method"
    ).prefetch_related(Prefetch("lines", queryset=StandingOrderLine.objects.select_related("variant__product")))
    if organization is not None:
        queryset = queryset.filter(organization=organization)
    standing_order = queryset.filter(public_id=public_id).first()
    if standing_order is None:
        raise NotFound(RecurringError.NOT_FOUND, "No such standing order.", "standing_order")
    return standing_order


@dataclass(frozen=True)
class Occurrence:
    date: dt.date
    due_at: dt.datetime
    status: str  # a Run status, or "scheduled" for a date without a run yet
    skipped: bool
    skip_reason: str
    order_number: str
    estimate: Quote | None
    # When its order ships and arrives, if placed when due (inventory.delivery_dates); None without a promise.
    ships_on: dt.date | None = None
    arrives_from: dt.date | None = None
    arrives_to: dt.date | None = None
    # Why nothing is delivered on the day its order is for ("a Saturday", "Christmas Day, a public holiday"), or "".
    no_delivery: str = ""
    # The working day its order was moved to from `date` (a weekend or holiday), or None: it is for `date`.
    moved_to: dt.date | None = None

    @property
    def status_label(self) -> str:
        """The run status in words, in the active language ("Scheduled" for a date without a run yet)."""
        return str(Run.Status(self.status).label)

    @property
    def arrival_window_display(self) -> str:
        if self.arrives_from is None or self.arrives_to is None:
            return ""
        if self.arrives_from == self.arrives_to:
            return date_words(self.arrives_from)
        return f"{date_words(self.arrives_from)} – {date_words(self.arrives_to)}"


def is_paused_on(standing_order: StandingOrder, day: dt.date) -> bool:
    """Whether the date falls inside the standing order's pause (it is skipped, and does not count as an order)."""
    return standing_order.status == StandingOrder.Status.PAUSED and (
        standing_order.paused_until is None or day < standing_order.paused_until
    )


def occurrence_skips(*, standing_orders: list[StandingOrder]) -> dict[int, Callable[[dt.date], bool]]:
    """For each standing order (by pk), which of its dates are skipped: by a skipped run or by its pause.

    An end after N orders goes on past these dates (see `Schedule`); one query, for those that end so only.
    """
    counted = [so.pk for so in standing_orders if so.max_occurrences is not None]
    skipped: dict[int, set[dt.date]] = defaultdict(set)
    if counted:
        for pk, day in Run.objects.filter(
            standing_order__in=counted, kind=Run.Kind.OCCURRENCE, status=Run.Status.SKIPPED
        ).values_list("standing_order_id", "scheduled_for"):
            skipped[pk].add(day)

    def skips(standing_order: StandingOrder) -> Callable[[dt.date], bool]:
        days = skipped.get(standing_order.pk, set())
        return lambda day: day in days or is_paused_on(standing_order, day)

    return {so.pk: skips(so) for so in standing_orders}


def schedule_broken(standing_order: StandingOrder, error: ScheduleError) -> None:
    """A stored rule that cannot be expanded: logged for staff, and left out of what is read, never an exception."""
    log.error(
        "standing order %s: schedule needs attention (rule %r): %s",
        standing_order.public_id,
        standing_order.rule,
        error.message,
    )


def upcoming_occurrences(*, standing_order: StandingOrder, count: int = 6) -> list[Occurrence]:
    """The next `count` dates with their state (skipped, paused, placed) and one estimated total for all of them."""
    if standing_order.status in (StandingOrder.Status.CANCELLED, StandingOrder.Status.ENDED):
        return []
    today = clock.today(standing_order.timezone)
    lead = lead_times()
    schedule = lead.schedule(standing_order)
    skips = occurrence_skips(standing_orders=[standing_order])[standing_order.pk]
    try:
        dates = schedule.next_dates(after=today - dt.timedelta(days=1), count=count, skipped=skips)
    except ScheduleError as error:
        schedule_broken(standing_order, error)
        return []
    runs = {
        run.scheduled_for: run
        for run in Run.objects.filter(
            standing_order=standing_order, kind=Run.Kind.OCCURRENCE, scheduled_for__in=dates
        ).select_related("order")
    }
    lines = [LineRequest(variant_id=line.variant_id, quantity=line.quantity) for line in standing_order.lines.all()]
    try:
        estimate = quote(
            organization=standing_order.organization,
            lines=lines,
            shipping_method=standing_order.shipping_method,
            shipping_address=standing_order.shipping_address,
        )
    except DomainError:
        estimate = None
    result = []
    for day in dates:
        run = runs.get(day)
        paused = is_paused_on(standing_order, day)
        status = run.status if run else (Run.Status.SKIPPED if paused else Run.Status.SCHEDULED)
        skipped = status == Run.Status.SKIPPED
        due_at = run.due_at if run else schedule.due_at(day)
        moved_to = run.moved_to if run else schedule.moved_to(day)
        promised = None if skipped else lead.promise(standing_order, placed_at=max(due_at, clock.now()))
        if run is not None and run.order is not None and run.order.ships_on:
            promised = run.order  # placed: what its order was promised
        result.append(
            Occurrence(
                date=day,
                due_at=due_at,
                ships_on=promised.ships_on if promised else None,
                arrives_from=promised.arrives_from if promised else None,
                arrives_to=promised.arrives_to if promised else None,
                status=status,
                skipped=skipped,
                skip_reason=(run.skip_reason if run else ("paused" if paused else "")),
                order_number=run.order.number if run and run.order else "",
                estimate=None if skipped else estimate,
                no_delivery=delivery_day_problem(moved_to or day, calendars=lead.calendars),
                moved_to=moved_to,
            )
        )
    return result


@dataclass(frozen=True)
class ForecastRow:
    variant_id: int
    sku: str
    name: str
    weeks: tuple[int, ...]  # units per week, FORECAST_WEEKS long
    total: int
    available: int
    shortage_week: int | None  # index of the first week the running demand exceeds stock, if any

    @property
    def short(self) -> bool:
        return self.shortage_week is not None


@dataclass(frozen=True)
class Forecast:
    week_starts: tuple[dt.date, ...]
    rows: tuple[ForecastRow, ...]


def _forecast_weeks(*, weeks: int, today: dt.date) -> tuple[tuple[dt.date, ...], dt.date]:
    """The Mondays of the forecast's weeks (the first holds `today`) and its last day."""
    first_monday = today - dt.timedelta(days=today.weekday())
    week_starts = tuple(first_monday + dt.timedelta(weeks=i) for i in range(weeks))
    return week_starts, first_monday + dt.timedelta(weeks=weeks) - dt.timedelta(days=1)


def _orders_ahead(
    *, standing_orders: QuerySet[StandingOrder], today: dt.date, end: dt.date
) -> list[tuple[StandingOrder, dt.date]]:
    """Each active or paused standing order (lines prefetched) with each date from `today` to `end` it will order
    for (a date moved to a working day counts on that day, at the latest on `end`), skips, pauses and runs already
    skipped or failed left out; a fixed number of queries whatever the number of them."""
    live = list(
        standing_orders.filter(status__in=[StandingOrder.Status.ACTIVE, StandingOrder.Status.PAUSED])
        .prefetch_related("lines")
        .order_by("pk")
    )
    runs = Run.objects.filter(
        standing_order__in=[so.pk for so in live],
        kind=Run.Kind.OCCURRENCE,
        scheduled_for__gte=today,
        scheduled_for__lte=end,
    ).values_list("standing_order_id", "scheduled_for", "status")
    not_ordering = {(so_id, day) for so_id, day, status in runs if status in (Run.Status.SKIPPED, Run.Status.FAILED)}
    skips = occurrence_skips(standing_orders=live)
    # Dates moved to a working day are counted on that day (the shipping calendars: read only when some move).
    lead = lead_times() if any(so.move_to_working_day for so in live) else None
    result = []
    for standing_order in live:
        schedule = lead.schedule(standing_order) if lead else standing_order.schedule
        try:
            dates = schedule.dates(through=end, after=today - dt.timedelta(days=1), skipped=skips[standing_order.pk])
            result.extend(
                (standing_order, min(schedule.delivery_date(day), end))
                for day in dates
                if (standing_order.pk, day) not in not_ordering and not is_paused_on(standing_order, day)
            )
        except ScheduleError as error:
            schedule_broken(standing_order, error)
    return result


def demand_forecast(*, weeks: int = FORECAST_WEEKS, today: dt.date | None = None) -> Forecast:
    """Units per SKU per week (weeks start on Monday) from every active or paused standing order, skips and pauses
    applied, beside the units available now; a fixed number of queries whatever the number of standing orders."""
    today = today or clock.today()
    week_starts, end = _forecast_weeks(weeks=weeks, today=today)
    demand: dict[int, list[int]] = defaultdict(lambda: [0] * weeks)
    for standing_order, day in _orders_ahead(standing_orders=StandingOrder.objects.all(), today=today, end=end):
        week = (day - week_starts[0]).days // 7
        for line in standing_order.lines.all():
            demand[line.variant_id][week] += line.quantity
    variants = {v.pk: v for v in Variant.objects.filter(pk__in=demand).select_related("product")}
    available = available_by_variant(variant_ids=list(demand))
    rows = []
    for variant_id, per_week in demand.items():
        variant = variants[variant_id]
        stock = available.get(variant_id, 0)
        running, shortage_week = 0, None
        for index, units in enumerate(per_week):
            running += units
            if running > stock and shortage_week is None:
                shortage_week = index
        rows.append(
            ForecastRow(
                variant_id=variant_id,
                sku=variant.sku,
                name=f"{variant.product.name} {variant.name}".strip(),
                weeks=tuple(per_week),
                total=sum(per_week),
                available=stock,
                shortage_week=shortage_week,
            )
        )
    rows.sort(key=lambda r: (r.shortage_week is None, r.shortage_week or 0, r.sku))
    return Forecast(week_starts=week_starts, rows=tuple(rows))


@dataclass(frozen=True)
class WeekRevenueAhead:
    week_start: dt.date
    currency: str
    amount: Decimal
    orders: int


def revenue_forecast(
    *, weeks: int = FORECAST_WEEKS, today: dt.date | None = None, organizations: QuerySet[Organization] | None = None
) -> list[WeekRevenueAhead]:
    """The goods the standing orders will order per week and currency (their lines at each customer's prices
    today; shipping and tax left out), every week of the forecast present, weeks from Monday; `organizations`
    narrows it to those accounts. A fixed number of queries whatever the number of standing orders."""
    today = today or clock.today()
    week_starts, end = _forecast_weeks(weeks=weeks, today=today)
    standing_orders = StandingOrder.objects.all()
    if organizations is not None:
        standing_orders = standing_orders.filter(organization__in=organizations.values("pk"))
    ahead = _orders_ahead(standing_orders=standing_orders, today=today, end=end)
    prices = unit_prices_for_organizations(
        variant_ids=[line.variant_id for so, _ in ahead for line in so.lines.all()],
        organization_ids=[so.organization_id for so, _ in ahead],
    )
    totals: dict[tuple[int, str], list] = {}
    for standing_order, day in ahead:
        price_of = prices.get(standing_order.organization_id, {})
        amounts: dict[str, Decimal] = defaultdict(Decimal)
        for line in standing_order.lines.all():
            price = price_of.get(line.variant_id)
            if price is not None:
                amounts[price.currency] += price.amount * line.quantity
        week = (day - week_starts[0]).days // 7
        for currency, amount in amounts.items():
            cell = totals.setdefault((week, currency), [Decimal(0), 0])
            cell[0] += amount
            cell[1] += 1
    currencies = sorted({currency for _, currency in totals}) or [settings.CURRENCY]
    return [
        WeekRevenueAhead(
            week_start=week_starts[week],
            currency=currency,
            amount=quantize(totals.get((week, currency), [Decimal(0)])[0], currency),
            orders=totals.get((week, currency), [0, 0])[1],
        )
        for week in range(weeks)
        for currency in currencies
    ]


def next_order_dates(*, standing_orders: list[StandingOrder]) -> dict[int, dt.date | None]:
    """The date of each standing order's next order (skips and pauses applied; None when there is none or its
    schedule needs attention), by pk; two queries whatever the number of standing orders."""
    result: dict[int, dt.date | None] = {}
    live = [so for so in standing_orders if so.status in (StandingOrder.Status.ACTIVE, StandingOrder.Status.PAUSED)]
    if not live:
        return {so.pk: None for so in standing_orders}
    # The earliest local "today" of any time zone is at most a day before UTC's.
    earliest = clock.today() - dt.timedelta(days=1)
    done = set(
        Run.objects.filter(
            standing_order__in=[so.pk for so in live],
            kind=Run.Kind.OCCURRENCE,
            scheduled_for__gte=earliest,
            status__in=[Run.Status.SKIPPED, Run.Status.PLACED, Run.Status.FAILED],
        ).values_list("standing_order_id", "scheduled_for")
    )
    skips = occurrence_skips(standing_orders=live)
    for standing_order in standing_orders:
        result[standing_order.pk] = None
        if standing_order not in live:
            continue
        if standing_order.status == StandingOrder.Status.PAUSED and standing_order.paused_until is None:
            continue
        after = clock.today(standing_order.timezone) - dt.timedelta(days=1)
        skipped = skips[standing_order.pk]
        try:
            # A placed date of today is no longer "next"; look a little further than the dates already done.
            upcoming = standing_order.schedule.next_dates(after=after, count=24, skipped=skipped)
        except ScheduleError as error:
            schedule_broken(standing_order, error)
            continue
        for day in upcoming:
            if (standing_order.pk, day) in done or skipped(day):
                continue
            result[standing_order.pk] = day
            break
    return result


def runs_history(*, standing_order: StandingOrder, limit: int = 50) -> list[Run]:
    """The runs that happened or are under way (placed, failed, retrying, or due and skipped), newest first,
    with their orders."""
    now = clock.now()
    return list(
        Run.objects.filter(standing_order=standing_order)
        .filter(Q(status__in=[Run.Status.PLACED, Run.Status.FAILED, Run.Status.RETRYING]) | Q(due_at__lte=now))
        .select_related("order")
        .order_by("-scheduled_for", "-id")[:limit]
    )


def changes_for(*, standing_order: StandingOrder, limit: int = 100) -> list[Change]:
    """Who changed the standing order and how, newest first."""
    return list(
        Change.objects.filter(standing_order=standing_order)
        .select_related("actor")
        .order_by("-created_at", "-id")[:limit]
    )


def run_awaiting_confirmation(*, standing_order: StandingOrder, payment_public_id: str) -> Run:
    """The run of `standing_order` whose payment `payment_public_id` the bank asked the customer to confirm; NotFound otherwise."""
    run = (
        Run.objects.filter(standing_order=standing_order, action_payment__public_id=payment_public_id)
        .select_related("action_payment", "standing_order__payment_method")
        .first()
    )
    if run is None:
        raise NotFound(RecurringError.NOT_FOUND, "No payment of this standing order waits for you.", "payment")
    return run
