"""The figures of the back-office home, per role (docs/automation.md, "Dashboards").

- Sales (the `salesperson` group): their accounts only (crm.permissions.organizations_in_scope): revenue by week,
  tasks overdue and due today, customers due to reorder, standing-order revenue for the weeks ahead.
- Managers (the `manager` group, superusers): revenue by week and by product category, top customers,
  standing-order revenue ahead, receivables aging, late shipments.
- Fulfillment (the `fulfillment` group, superusers): the queue of each of their centers by promised date.

Someone with several roles sees each of their sections. Every figure comes from a selector of its own app that
aggregates in SQL (or reads a fixed number of rows), so the page's queries do not grow with the orders.
Each chart has a slug: its CSV export is /backoffice/dashboard/<slug>.csv, allowed to the same roles.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.cache import cache

from autosales.backoffice.charts import Chart, Series
from autosales.billing.aging import BUCKET_LABELS, BUCKETS, aging_rows
from autosales.core import clock
from autosales.core.money import quantize
from autosales.core.request_memo import in_open_transaction
from autosales.crm.permissions import is_salesperson, organizations_in_scope, sees_every_account
from autosales.crm.reorder import ReorderDue, customers_due_to_reorder
from autosales.crm.selectors import MyTasks, my_tasks
from autosales.customers.permissions import is_in_group
from autosales.customers.staff_roles import FULFILLMENT
from autosales.fulfillment.queue import center_today
from autosales.fulfillment.selectors import centers_for_user
from autosales.fulfillment.workload import LateOrders, late_orders, queue_by_promised_date
from autosales.orders.revenue import revenue_by_category, revenue_by_week, top_customers
from autosales.recurring.selectors import FORECAST_WEEKS, revenue_forecast

log = logging.getLogger(__name__)

WEEKS_BACK = 13  # revenue by week: this week and the twelve before it
TOP_CUSTOMERS = 10
REORDERS_SHOWN = 10
LATE_SHOWN = 10
QUEUE_DAYS_AHEAD = 7  # the queue chart: late, today and the next six days each, then later, then no promise


def shows_sales(user) -> bool:
    return is_salesperson(user)


def shows_manager(user) -> bool:
    return sees_every_account(user)


def shows_fulfillment(user) -> bool:
    return bool(user.is_staff and (user.is_superuser or is_in_group(user, FULFILLMENT)))


# --- the charts ---


def _shop_today(now: dt.datetime) -> dt.date:
    return now.astimezone(ZoneInfo(settings.SHOP_TIME_ZONE)).date()


def _weeks_back(now: dt.datetime) -> list[dt.date]:
    today = _shop_today(now)
    monday = today - dt.timedelta(days=today.weekday())
    return [monday - dt.timedelta(weeks=n) for n in range(WEEKS_BACK - 1, -1, -1)]


def _week_label(day: dt.date) -> str:
    return f"{day:%b} {day.day}"


def _currencies(found) -> list[str]:
    return sorted(found) or [settings.CURRENCY]


def _cached(*, slug: str, scope: object, now: dt.datetime, build: Callable[[], Chart]) -> Chart:
    """The chart from the cache for DASHBOARD_CACHE_SECONDS (its weeks in the key, so a new week is new figures),
    else built; never shared when built inside an open transaction (data that may yet roll back), and built
    without the cache when the cache is not answering."""
    seconds = settings.DASHBOARD_CACHE_SECONDS
    if not seconds or in_open_transaction():
        return build()
    key = f"dashboard:{slug}:{scope}:{_weeks_back(now)[0].isoformat()}"
    try:
        chart = cache.get(key)
    except Exception:
        log.warning("the cache is not answering; building %s without it", slug, exc_info=True)
        return build()
    if chart is None:
        chart = build()
        try:
            cache.set(key, chart, seconds)
        except Exception:
            log.warning("could not cache %s", slug, exc_info=True)
    return chart


def _revenue_chart(*, slug: str, title: str, now: dt.datetime, organizations=None) -> Chart:
    weeks = _weeks_back(now)
    since = dt.datetime.combine(weeks[0], dt.time(0), tzinfo=ZoneInfo(settings.SHOP_TIME_ZONE))
    found = revenue_by_week(since=since, until=now, organizations=organizations)
    cells = {(row.week_start, row.currency): row for row in found}
    currencies = _currencies({row.currency for row in found})
    rows = []
    for week in weeks:
        for currency in currencies:
            row = cells.get((week, currency))
            amount = row.amount if row else quantize(Decimal(0), currency)
            rows.append([week.isoformat(), currency, amount, row.orders if row else 0])
    return Chart(
        slug=slug,
        title=title,
        kind="bar",
        labels=[_week_label(week) for week in weeks],
        series=[
            Series(currency, [cells[(w, currency)].amount if (w, currency) in cells else 0 for w in weeks])
            for currency in currencies
        ],
        columns=["week_start", "currency", "revenue", "orders"],
        rows=rows,
        note="Goods on orders placed each week (Monday to Sunday), before shipping and tax.",
        empty_text="No orders in these weeks.",
    )


def _standing_orders_chart(*, slug: str, title: str, now: dt.datetime, organizations=None) -> Chart:
    ahead = revenue_forecast(weeks=FORECAST_WEEKS, today=_shop_today(now), organizations=organizations)
    weeks = sorted({row.week_start for row in ahead})
    currencies = _currencies({row.currency for row in ahead})
    cells = {(row.week_start, row.currency): row.amount for row in ahead}
    return Chart(
        slug=slug,
        title=title,
        kind="bar",
        labels=[_week_label(week) for week in weeks],
        series=[Series(c, [cells.get((w, c), 0) for w in weeks]) for c in currencies],
        columns=["week_start", "currency", "revenue", "orders"],
        rows=[[row.week_start.isoformat(), row.currency, row.amount, row.orders] for row in ahead],
        note="What the active standing orders will order each week, at each customer's prices today, before "
        "shipping and tax; skipped and paused dates left out.",
        empty_text="No standing orders ahead.",
    )


def my_revenue_chart(user, now: dt.datetime) -> Chart:
    return _cached(
        slug="my-revenue",
        scope=user.pk,
        now=now,
        build=lambda: _revenue_chart(
            slug="my-revenue",
            title="Your accounts' revenue by week",
            now=now,
            organizations=organizations_in_scope(user=user),
        ),
    )


def my_standing_orders_chart(user, now: dt.datetime) -> Chart:
    return _standing_orders_chart(
        slug="my-standing-orders",
        title=f"Your accounts' standing-order revenue, next {FORECAST_WEEKS} weeks",
        now=now,
        organizations=organizations_in_scope(user=user),
    )


def revenue_chart(user, now: dt.datetime) -> Chart:
    return _cached(
        slug="revenue",
        scope="all",
        now=now,
        build=lambda: _revenue_chart(slug="revenue", title="Revenue by week", now=now),
    )


def standing_orders_chart(user, now: dt.datetime) -> Chart:
    return _standing_orders_chart(
        slug="standing-orders", title=f"Standing-order revenue, next {FORECAST_WEEKS} weeks", now=now
    )


def _period(now: dt.datetime) -> dt.datetime:
    return dt.datetime.combine(_weeks_back(now)[0], dt.time(0), tzinfo=ZoneInfo(settings.SHOP_TIME_ZONE))


def categories_chart(user, now: dt.datetime) -> Chart:
    return _cached(slug="revenue-by-category", scope="all", now=now, build=lambda: _categories_chart(now))


def _categories_chart(now: dt.datetime) -> Chart:
    found = revenue_by_category(since=_period(now), until=now)
    several = len({row.currency for row in found}) > 1
    return Chart(
        slug="revenue-by-category",
        title=f"Revenue by product category, last {WEEKS_BACK} weeks",
        kind="horizontal",
        labels=[f"{row.category} ({row.currency})" if several else row.category for row in found],
        series=[Series("Revenue", [row.amount for row in found])],
        columns=["category", "currency", "revenue"],
        rows=[[row.category, row.currency, row.amount] for row in found],
        empty_text="No orders in these weeks.",
    )


def top_customers_chart(user, now: dt.datetime) -> Chart:
    return _cached(slug="top-customers", scope="all", now=now, build=lambda: _top_customers_chart(now))


def _top_customers_chart(now: dt.datetime) -> Chart:
    found = top_customers(since=_period(now), until=now, limit=TOP_CUSTOMERS)
    several = len({row.currency for row in found}) > 1
    return Chart(
        slug="top-customers",
        title=f"Top {TOP_CUSTOMERS} customers, last {WEEKS_BACK} weeks",
        kind="horizontal",
        labels=[f"{row.name} ({row.currency})" if several else row.name for row in found],
        series=[Series("Revenue", [row.amount for row in found])],
        columns=["customer", "currency", "revenue", "orders"],
        rows=[[row.name, row.currency, row.amount, row.orders] for row in found],
        empty_text="No orders in these weeks.",
    )


def aging_chart(user, now: dt.datetime) -> Chart:
    found = aging_rows(on=_shop_today(now))
    totals: dict[str, dict[str, Decimal]] = defaultdict(lambda: dict.fromkeys(BUCKETS, Decimal(0)))
    for row in found:
        for bucket in BUCKETS:
            totals[row.currency][bucket] += getattr(row, bucket)
    currencies = _currencies(totals)
    return Chart(
        slug="receivables-aging",
        title="Receivables by days past due",
        kind="bar",
        labels=[BUCKET_LABELS[b] for b in BUCKETS],
        series=[Series(c, [totals[c][b] if c in totals else 0 for b in BUCKETS]) for c in currencies],
        columns=["days_past_due", "currency", "open_balance"],
        rows=[
            [BUCKET_LABELS[b], c, quantize(totals[c][b] if c in totals else Decimal(0), c)]
            for c in currencies
            for b in BUCKETS
        ],
        note="What customers owe on open invoices.",
        empty_text="No open invoices.",
        narrow=True,
    )


def queue_chart(user, now: dt.datetime) -> Chart:
    centers = list(centers_for_user(user=user))
    days = queue_by_promised_date(warehouses=centers_for_user(user=user))
    today_at = {center.code: center_today(center) for center in centers}
    labels = ["Late", "Today", *(f"+{n} d" for n in range(1, QUEUE_DAYS_AHEAD)), "Later", "No date"]

    def column(day) -> int:
        if day.ships_on is None:
            return len(labels) - 1
        ahead = (day.ships_on - today_at[day.warehouse_code]).days
        if ahead < 0:
            return 0
        return ahead + 1 if ahead < QUEUE_DAYS_AHEAD else len(labels) - 2

    counts = {center.code: [0] * len(labels) for center in centers}
    for day in days:
        if day.warehouse_code in counts:
            counts[day.warehouse_code][column(day)] += day.orders
    return Chart(
        slug="queue",
        title="Orders to ship by center and promised ship date",
        kind="stacked",
        labels=labels,
        series=[Series(f"{c.code} {c.name}", counts[c.code]) for c in centers],
        columns=["center", "promised_ship_date", "orders", "units"],
        rows=[
            [day.warehouse_code, day.ships_on.isoformat() if day.ships_on else "", day.orders, day.units]
            for day in days
        ],
        note="Orders in each center's queue; an order split over two centers counts in both.",
        empty_text="The queues are empty.",
        money=False,
    )


Builder = Callable[[object, dt.datetime], Chart]
# slug -> (who may see it, how it is made): the home and the CSV export read the same table.
CHARTS: dict[str, tuple[Callable[[object], bool], Builder]] = {
    "my-revenue": (shows_sales, my_revenue_chart),
    "my-standing-orders": (shows_sales, my_standing_orders_chart),
    "revenue": (shows_manager, revenue_chart),
    "revenue-by-category": (shows_manager, categories_chart),
    "top-customers": (shows_manager, top_customers_chart),
    "standing-orders": (shows_manager, standing_orders_chart),
    "receivables-aging": (shows_manager, aging_chart),
    "queue": (shows_fulfillment, queue_chart),
}


def chart_for(*, user, slug: str, now: dt.datetime) -> Chart | None:
    """The chart `slug` for `user`, or None when there is no such chart or their roles do not show it."""
    allowed, build = CHARTS.get(slug, (None, None))
    if allowed is None or not allowed(user):
        return None
    return build(user, now)


# --- the sections ---


@dataclass(frozen=True)
class SalesSection:
    revenue: Chart
    standing_orders: Chart
    tasks: MyTasks
    reorders: list[ReorderDue]


@dataclass(frozen=True)
class ManagerSection:
    revenue: Chart
    categories: Chart
    top_customers: Chart
    standing_orders: Chart
    aging: Chart
    late: LateOrders


@dataclass(frozen=True)
class FulfillmentSection:
    queue: Chart


@dataclass(frozen=True)
class Home:
    sales: SalesSection | None
    manager: ManagerSection | None
    fulfillment: FulfillmentSection | None


def home_for(*, user, now: dt.datetime | None = None) -> Home:
    """Each section `user`'s roles show, in a fixed number of queries whatever the number of orders."""
    now = now or clock.now()
    sales = manager = fulfillment = None
    if shows_sales(user):
        sales = SalesSection(
            revenue=my_revenue_chart(user, now),
            standing_orders=my_standing_orders_chart(user, now),
            tasks=my_tasks(user=user, upcoming_days=0),
            reorders=customers_due_to_reorder(user=user, now=now, limit=REORDERS_SHOWN),
        )
    if shows_manager(user):
        manager = ManagerSection(
            revenue=revenue_chart(user, now),
            categories=categories_chart(user, now),
            top_customers=top_customers_chart(user, now),
            standing_orders=standing_orders_chart(user, now),
            aging=aging_chart(user, now),
            late=late_orders(today=_shop_today(now), limit=LATE_SHOWN),
        )
    if shows_fulfillment(user):
        fulfillment = FulfillmentSection(queue=queue_chart(user, now))
    return Home(sales=sales, manager=manager, fulfillment=fulfillment)
