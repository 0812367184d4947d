"""Revenue read from the orders, aggregated in SQL: by week, by product category, by customer.

Revenue is the goods on orders placed in the period (`Order.subtotal`, or the lines' totals by category):
shipping and tax are left out, and so are orders that were cancelled, refunded or never paid for. Weeks start on
Monday in the shop's time zone (SHOP_TIME_ZONE), whoever looks. Each function is one query whatever the number of
orders, and keeps currencies apart (one row per currency).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import Count, QuerySet, Sum
from django.db.models.functions import Coalesce, TruncWeek

from autosales.core.money import quantize
from autosales.customers.models import Organization
from autosales.orders.models import Order, OrderLine, OrderStatus

REVENUE_STATUSES = (
    OrderStatus.PLACED,
    OrderStatus.PAID,
    OrderStatus.ON_ACCOUNT,
    OrderStatus.PARTIALLY_SHIPPED,
    OrderStatus.SHIPPED,
    OrderStatus.DELIVERED,
)
UNCATEGORIZED = "Uncategorized"


@dataclass(frozen=True)
class WeekRevenue:
    week_start: dt.date
    currency: str
    amount: Decimal
    orders: int


@dataclass(frozen=True)
class CategoryRevenue:
    category: str
    currency: str
    amount: Decimal


@dataclass(frozen=True)
class CustomerRevenue:
    organization_public_id: str
    name: str
    currency: str
    amount: Decimal
    orders: int


def _revenue_orders(
    *, since: dt.datetime, until: dt.datetime, organizations: QuerySet[Organization] | None
) -> QuerySet[Order]:
    queryset = Order.objects.filter(status__in=REVENUE_STATUSES, placed_at__gte=since, placed_at__lte=until)
    if organizations is not None:
        queryset = queryset.filter(organization__in=organizations.values("pk"))
    return queryset.order_by()


def revenue_by_week(
    *, since: dt.datetime, until: dt.datetime, organizations: QuerySet[Organization] | None = None
) -> list[WeekRevenue]:
    """Revenue and orders per week and currency, the oldest week first (one query); weeks without orders are
    absent. `organizations` narrows it to those accounts (a salesperson's)."""
    rows = (
        _revenue_orders(since=since, until=until, organizations=organizations)
        .annotate(week=TruncWeek("placed_at", tzinfo=ZoneInfo(settings.SHOP_TIME_ZONE)))
        .values("week", "currency")
        .annotate(amount=Sum("subtotal"), orders=Count("id"))
        .order_by("week", "currency")
    )
    return [
        WeekRevenue(
            week_start=_as_date(row["week"]),
            currency=row["currency"],
            amount=quantize(row["amount"], row["currency"]),
            orders=row["orders"],
        )
        for row in rows
    ]


def revenue_by_category(
    *, since: dt.datetime, until: dt.datetime, organizations: QuerySet[Organization] | None = None
) -> list[CategoryRevenue]:
    """Revenue of the order lines per product category and currency, the largest first (one query)."""
    orders = _revenue_orders(since=since, until=until, organizations=organizations)
    rows = (
        OrderLine.objects.filter(order__in=orders.values("pk"))
        .values("variant__product__category__name", "order__currency")
        .annotate(amount=Coalesce(Sum("line_total"), Decimal(0)))
        .order_by("-amount", "variant__product__category__name")
    )
    return [
        CategoryRevenue(
            category=row["variant__product__category__name"] or UNCATEGORIZED,
            currency=row["order__currency"],
            amount=quantize(row["amount"], row["order__currency"]),
        )
        for row in rows
    ]


def top_customers(
    *,
    since: dt.datetime,
    until: dt.datetime,
    limit: int = 10,
    organizations: QuerySet[Organization] | None = None,
) -> list[CustomerRevenue]:
    """The `limit` customers with the most revenue in the period, per currency, the largest first (one query)."""
    rows = (
        _revenue_orders(since=since, until=until, organizations=organizations)
        .values("organization__public_id", "organization__name", "currency")
        .annotate(amount=Sum("subtotal"), orders=Count("id"))
        .order_by("-amount", "organization__name")[:limit]
    )
    return [
        CustomerRevenue(
            organization_public_id=row["organization__public_id"],
            name=row["organization__name"],
            currency=row["currency"],
            amount=quantize(row["amount"], row["currency"]),
            orders=row["orders"],
        )
        for row in rows
    ]


def _as_date(value: dt.datetime | dt.date) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.astimezone(ZoneInfo(settings.SHOP_TIME_ZONE)).date() if value.tzinfo else value.date()
    return value
