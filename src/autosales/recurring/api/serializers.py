"""Standing orders, their runs and changes as the API answers them (model -> the dict a response schema reads)."""

from __future__ import annotations

import datetime as dt

from django.conf import settings

from autosales.core.money import Money
from autosales.customers.models import Organization
from autosales.recurring.models import Run, StandingOrder
from autosales.recurring.schedule import rule_describe
from autosales.recurring.selectors import (
    Occurrence,
    changes_for,
    next_order_dates,
    runs_history,
    standing_order_for,
    upcoming_occurrences,
)

UPCOMING_COUNT = 6


def _money(money: Money) -> dict:
    rounded = money.rounded()
    return {"amount": rounded.amount, "currency": rounded.currency}


def _occurrence_out(occurrence: Occurrence) -> dict:
    return {
        "date": occurrence.date,
        "moved_to": occurrence.moved_to,
        "due_at": occurrence.due_at,
        "status": occurrence.status,
        "skipped": occurrence.skipped,
        "skip_reason": occurrence.skip_reason,
        "order_number": occurrence.order_number,
        "estimated_total": _money(occurrence.estimate.total) if occurrence.estimate else None,
        "ships_on": occurrence.ships_on,
        "arrives_from": occurrence.arrives_from,
        "arrives_to": occurrence.arrives_to,
    }


def _run_out(run: Run) -> dict:
    return {
        "date": run.scheduled_for,
        "moved_to": run.moved_to,
        "kind": run.kind,
        "status": run.status,
        "late": run.late,
        "order": run.order.public_id if run.order else None,
        "order_number": run.order.number_display if run.order else "",
        "failures": run.failures,
        "last_error": run.last_error,
        "next_attempt_at": run.next_attempt_at,
    }


def standing_order_out(standing_order: StandingOrder, *, next_date: dt.date | None, detail: bool = False) -> dict:
    """The standing order as the API shows it; its lines (with variants and products) must be prefetched."""
    address = standing_order.shipping_address
    body = {
        "public_id": standing_order.public_id,
        "name": standing_order.name,
        "status": standing_order.status,
        "rule": standing_order.rule,
        "schedule": rule_describe(standing_order.rule),
        "start_date": standing_order.start_date,
        "end_date": standing_order.end_date,
        "max_occurrences": standing_order.max_occurrences,
        "timezone": standing_order.timezone,
        "move_to_working_day": standing_order.move_to_working_day,
        "paused_until": standing_order.paused_until,
        "next_date": next_date,
        "lines": [
            {
                "sku": line.variant.sku,
                "name": f"{line.variant.product.name} {line.variant.name}".strip(),
                "quantity": line.quantity,
            }
            for line in standing_order.lines.all()
        ],
        "shipping_address": (
            {"id": address.public_id, "label": address.label, "lines": address.lines()} if address else None
        ),
        "shipping_method": standing_order.shipping_method.code if standing_order.shipping_method else None,
        "payment_kind": standing_order.payment_kind,
        "notice_days": standing_order.notice_days,
        "stock_policy": standing_order.stock_policy,
        "stock_retry_days": standing_order.stock_retry_days,
        "created_at": standing_order.created_at,
        "url": f"{settings.SHOP['base_url'].rstrip('/')}/standing-orders/{standing_order.public_id}/",
    }
    if detail:
        body["upcoming"] = [
            _occurrence_out(o) for o in upcoming_occurrences(standing_order=standing_order, count=UPCOMING_COUNT)
        ]
        body["runs"] = [_run_out(run) for run in runs_history(standing_order=standing_order)]
        body["changes"] = [
            {
                "at": change.created_at,
                "actor": change.actor.username if change.actor else None,
                "kind": change.kind,
                "data": change.data,
            }
            for change in changes_for(standing_order=standing_order)
        ]
    return body


def standing_order_detail_out(standing_order: StandingOrder, organization: Organization) -> dict:
    """The standing order re-read with everything the detail answer shows (after a change, the new state)."""
    fresh = standing_order_for(public_id=standing_order.public_id, organization=organization)
    next_date = next_order_dates(standing_orders=[fresh])[fresh.pk]
    return standing_order_out(fresh, next_date=next_date, detail=True)
