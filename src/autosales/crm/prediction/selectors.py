"""Reads of the stored reorder predictions: an account's, the watch list of accounts due, overdue or lapsing (by
expected value), and the prediction a reorder task was made for. Each in a fixed number of queries.

A prediction is *covered* — nobody needs to call — when the account has ordered since (that variant, or anything
for the overall prediction), its last order is still open (not all shipped), or it has an active standing order
with it (any active standing order covers the overall prediction). Coverage is read from the live orders, not from the stored rows.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from urllib.parse import urlencode

from django.db.models import Exists, F, OuterRef, Q, QuerySet

from autosales.crm.models import ReorderPrediction, Task
from autosales.crm.permissions import scope_filter
from autosales.crm.prediction.cadence import REGULAR_CONFIDENCE
from autosales.crm.prediction.store import NOT_LEARNED_FROM
from autosales.customers.models import Organization
from autosales.orders.models import Order, OrderLine, OrderStatus
from autosales.recurring.models import StandingOrder, StandingOrderLine

OPEN_ORDER_STATUSES = (OrderStatus.PLACED, OrderStatus.PAID, OrderStatus.ON_ACCOUNT, OrderStatus.PARTIALLY_SHIPPED)
REORDER_RULES = ("reorder_due", "lapsing")


def _covered() -> Q:
    since = OuterRef("last_order_at")
    # an order since the last one, or the last one itself still open (its goods have not all arrived)
    orders = Order.objects.filter(organization=OuterRef("organization_id")).filter(
        Q(placed_at__gt=since) & ~Q(status__in=NOT_LEARNED_FROM)
        | Q(placed_at__gte=since, status__in=OPEN_ORDER_STATUSES)
    )
    with_variant = OrderLine.objects.filter(
        order__organization=OuterRef("organization_id"), variant=OuterRef("variant_id")
    ).filter(
        Q(order__placed_at__gt=since) & ~Q(order__status__in=NOT_LEARNED_FROM)
        | Q(order__placed_at__gte=since, order__status__in=OPEN_ORDER_STATUSES)
    )
    active = StandingOrder.Status.ACTIVE
    standing = StandingOrder.objects.filter(organization=OuterRef("organization_id"), status=active)
    standing_variant = StandingOrderLine.objects.filter(
        standing_order__organization=OuterRef("organization_id"),
        standing_order__status=active,
        variant=OuterRef("variant_id"),
    )
    return (Q(variant__isnull=False) & (Exists(with_variant) | Exists(standing_variant))) | (
        Q(variant__isnull=True) & (Exists(orders) | Exists(standing))
    )


def uncovered_regular_predictions() -> QuerySet[ReorderPrediction]:
    """The regular customers' predictions nothing covers yet, with their account, owner and product."""
    return (
        ReorderPrediction.objects.filter(confidence__gte=REGULAR_CONFIDENCE)
        .exclude(_covered())
        .select_related("organization__salesperson", "variant__product")
    )


def predictions_of(*, organization: Organization) -> list[ReorderPrediction]:
    """An account's predictions, overall first, then by the next date (one query)."""
    return list(
        ReorderPrediction.objects.filter(organization=organization)
        .select_related("variant__product")
        .order_by(F("variant_id").asc(nulls_first=True), "next_on", "id")
    )


@dataclass(frozen=True)
class ReorderWatch:
    """One row of the watch list: a regular customer's prediction nothing covers, and where it stands."""

    prediction: ReorderPrediction
    status: str  # due, overdue, lapsing
    days_late: int

    @property
    def organization(self) -> Organization:
        return self.prediction.organization

    @property
    def product_name(self) -> str:
        variant = self.prediction.variant
        if variant is None:
            return "any order"
        return f"{variant.product.name} {variant.name}".strip()


WATCH_STATUSES = ("due", "overdue", "lapsing")


def watch_status(*, next_on: dt.date, today: dt.date, due_days: int, lapse_days: int) -> str | None:
    """Due (within `due_days` ahead), overdue (past, up to `lapse_days`), lapsing (further past), or None."""
    if next_on > today + dt.timedelta(days=due_days):
        return None
    if next_on >= today:
        return "due"
    if next_on >= today - dt.timedelta(days=lapse_days):
        return "overdue"
    return "lapsing"


def reorder_watchlist(
    *, user, today: dt.date, due_days: int, lapse_days: int, status: str | None = None, limit: int = 500
) -> list[ReorderWatch]:
    """The customers `user` works who are due, overdue or lapsing, the most valuable expected order first (one
    query)."""
    horizon = today + dt.timedelta(days=due_days)
    predictions = (
        uncovered_regular_predictions()
        .filter(scope_filter(user=user), next_on__lte=horizon)
        .order_by("-expected_value", "next_on", "id")
    )
    if status == "due":
        predictions = predictions.filter(next_on__gte=today)
    elif status == "overdue":
        predictions = predictions.filter(next_on__lt=today, next_on__gte=today - dt.timedelta(days=lapse_days))
    elif status == "lapsing":
        predictions = predictions.filter(next_on__lt=today - dt.timedelta(days=lapse_days))
    rows = []
    for prediction in predictions[:limit]:
        state = watch_status(next_on=prediction.next_on, today=today, due_days=due_days, lapse_days=lapse_days)
        rows.append(ReorderWatch(prediction, state, max(0, (today - prediction.next_on).days)))
    return rows


def task_key_parts(task: Task) -> tuple[int, int | None] | None:
    """(organization id, variant id or None) of the prediction a reorder or lapsing task was made for."""
    if task.rule not in REORDER_RULES or not task.automation_key:
        return None
    parts = task.automation_key.split(":")
    if len(parts) < 4 or not parts[1].isdigit():
        return None
    return int(parts[1]), int(parts[2]) if parts[2].isdigit() else None


def standing_order_offer_for(*, task: Task) -> ReorderPrediction | None:
    """The product prediction to offer as a standing order from a reorder task: the task's own, or for a task on
    the account as a whole its most valuable product (one query)."""
    parts = task_key_parts(task)
    if parts is None:
        return None
    organization_id, variant_id = parts
    predictions = ReorderPrediction.objects.filter(
        organization_id=organization_id, variant__isnull=False
    ).select_related("variant__product")
    if variant_id is not None:
        predictions = predictions.filter(variant_id=variant_id)
    return predictions.order_by("-expected_value", "id").first()


def standing_order_offer_query(*, prediction: ReorderPrediction, today: dt.date) -> str:
    """The query string that fills in the back office's new standing order with the predicted reorder."""
    start = max(prediction.next_on, today + dt.timedelta(days=1))
    return urlencode(
        {
            "sku": prediction.variant.sku,
            "quantity": prediction.expected_quantity,
            "every_weeks": prediction.every_weeks,
            "start": start.isoformat(),
        }
    )
