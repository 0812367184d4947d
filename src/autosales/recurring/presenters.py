"""Standing orders in words, as the store and the back office show them: the schedule and the change log."""

from __future__ import annotations

import datetime as dt

from django.utils.translation import gettext as _

from autosales.catalog.models import Variant
from autosales.inventory.delivery_dates import date_words, delivery_day_problem, next_delivery_day, shipping_calendars
from autosales.recurring.models import Change, StandingOrder
from autosales.recurring.schedule import rule_describe


def schedule_in_words(standing_order: StandingOrder) -> str:
    words = rule_describe(standing_order.rule)
    if standing_order.end_date:
        words += f", until {standing_order.end_date:%b %-d, %Y}"
    elif standing_order.max_occurrences:
        words += f", {standing_order.max_occurrences} order{'s' if standing_order.max_occurrences != 1 else ''} in all"
    else:
        words += ", until further notice"
    if standing_order.move_to_working_day:
        words += _("; a weekend or holiday date moves to the next working day")
    return words


def first_date_notes(
    *, start_date: dt.date | None, notice_days: int | None, today: dt.date, move_to_working_day: bool = False
) -> list[str]:
    """What a customer should know about the first date they typed: sooner than the advance notice, or a day
    nothing is delivered (a weekend, a public holiday of the centers' regions), and whether its order moves."""
    if start_date is None or start_date < today:
        return []
    notes = []
    days_away = (start_date - today).days
    if notice_days and days_away < notice_days:
        away = "today" if days_away == 0 else f"{days_away} day{'s' if days_away != 1 else ''} away"
        notes.append(
            f"The first date, {date_words(start_date)}, is {away}: sooner than the {notice_days} days' notice, so "
            "its notice email goes out at once and there is less time to skip or change that order."
        )
    calendars = shipping_calendars()
    problem = delivery_day_problem(start_date, calendars=calendars)
    if problem:
        next_day = date_words(next_delivery_day(start_date, calendars=calendars))
        if move_to_working_day:
            notes.append(
                _("%(day)s is %(problem)s: carriers do not deliver then, so its order is moved to %(next_day)s.")
                % {"day": date_words(start_date), "problem": problem, "next_day": next_day}
            )
        else:
            notes.append(
                f"{date_words(start_date)} is {problem}: carriers do not deliver then. The next delivery day is "
                f"{next_day}."
            )
    return notes


def change_texts(changes: list[Change]) -> list[tuple[Change, str]]:
    variant_ids = set()
    for change in changes:
        for key in ("lines", "before", "after"):
            value = change.data.get(key)
            if isinstance(value, dict):
                variant_ids |= {int(k) for k in value if str(k).isdigit()}
    skus = dict(Variant.objects.filter(pk__in=variant_ids).values_list("pk", "sku")) if variant_ids else {}

    def items(value: dict) -> str:
        return ", ".join(f"{q:,} × {skus.get(int(k), k)}" for k, q in value.items()) if value else "none"

    result = []
    for change in changes:
        data = change.data or {}
        kind = change.kind
        if kind == "created":
            text = f"Created: {rule_describe(data.get('rule', ''))} from {data.get('start_date', '')}"
            if isinstance(data.get("lines"), dict):
                text += f"; {items(data['lines'])}"
        elif kind == "lines_changed":
            text = f"Items changed from {items(data.get('before') or {})} to {items(data.get('after') or {})}"
        elif kind == "rescheduled":
            before, after = data.get("before") or {}, data.get("after") or {}
            text = f"Schedule changed to {rule_describe(after.get('rule', ''))} from {after.get('start_date', '')}"
            moving = after.get("move_to_working_day")
            if moving is not None and moving != before.get("move_to_working_day"):
                text += (
                    _("; weekend and holiday dates now move to the next working day")
                    if moving
                    else _("; weekend and holiday dates no longer move")
                )
        elif kind == "skipped":
            text = f"Skipped {data.get('date', '')}"
        elif kind == "unskipped":
            text = f"Un-skipped {data.get('date', '')}"
        elif kind == StandingOrder.Status.PAUSED or kind == "pause_changed":
            text = f"Paused until {data['until']}" if data.get("until") else "Paused until resumed"
        elif kind == StandingOrder.Status.ACTIVE:
            text = "Resumed"
        elif kind == StandingOrder.Status.CANCELLED:
            text = f"Cancelled{': ' + data['reason'] if data.get('reason') else ''}"
        elif kind == StandingOrder.Status.ENDED:
            text = "Ended: the schedule has no more dates"
        elif kind == "updated":
            labels = {
                "shipping_address": "delivery address",
                "shipping_method": "shipping method",
                "payment_kind": "payment",
                "notice_days": "advance notice days",
                "stock_policy": "stock policy",
                "stock_retry_days": "retry days",
                "name": "name",
            }
            # In a fixed order: a JSON column may give the keys back in any order.
            parts = [labels[k] if k == "shipping_address" else f"{labels[k]} to {data[k]}" for k in labels if k in data]
            parts += [f"{k} to {v}" for k, v in sorted(data.items()) if k not in labels]
            text = "Changed " + ", ".join(parts)
        else:
            text = kind.replace("_", " ").capitalize()
        result.append((change, text))
    return result
