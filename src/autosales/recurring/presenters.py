"""Standing orders in words, as the store and the back office show them: the schedule and the change log."""

from __future__ import annotations

import datetime as dt

from django.utils import formats
from django.utils.translation import gettext, gettext_lazy, ngettext

from autosales.catalog.models import Variant
from autosales.inventory.delivery_dates import date_words, delivery_day_problem, next_delivery_day, shipping_calendars
from autosales.recurring.models import Change, StandingOrder
from autosales.recurring.schedule import rule_describe


def schedule_in_words(standing_order: StandingOrder) -> str:
    """ "Every 2 months on the 1st, until further notice", in the active language."""
    words = rule_describe(standing_order.rule)
    if standing_order.end_date:
        words = gettext("%(schedule)s, until %(date)s") % {
            "schedule": words,
            "date": formats.date_format(standing_order.end_date, "M j, Y"),
        }
    elif standing_order.max_occurrences:
        count = standing_order.max_occurrences
        words = ngettext("%(schedule)s, %(count)s order in all", "%(schedule)s, %(count)s orders in all", count) % {
            "schedule": words,
            "count": count,
        }
    else:
        words = gettext("%(schedule)s, until further notice") % {"schedule": words}
    if standing_order.move_to_working_day:
        words += gettext("; a weekend or holiday date moves to the next working day")
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
        if days_away == 0:
            away = gettext("today")
        else:
            away = ngettext("%(count)s day away", "%(count)s days away", days_away) % {"count": days_away}
        notes.append(
            gettext(
                "The first date, %(date)s, is %(away)s: sooner than the %(notice)s days' notice, so its notice email "
                "goes out at once and there is less time to skip or change that order."
            )
            % {"date": date_words(start_date), "away": away, "notice": notice_days}
        )
    calendars = shipping_calendars()
    problem = delivery_day_problem(start_date, calendars=calendars)
    if problem:
        next_day = date_words(next_delivery_day(start_date, calendars=calendars))
        if move_to_working_day:
            notes.append(
                gettext("%(day)s is %(problem)s: carriers do not deliver then, so its order is moved to %(next_day)s.")
                % {"day": date_words(start_date), "problem": problem, "next_day": next_day}
            )
        else:
            notes.append(
                gettext("%(date)s is %(problem)s: carriers do not deliver then. The next delivery day is %(next)s.")
                % {"date": date_words(start_date), "problem": problem, "next": next_day}
            )
    return notes


# The fields a customer can change after set-up, named in the change log (an unknown one is shown by its key).
_FIELD_NAMES = {
    "shipping_address": gettext_lazy("delivery address"),
    "shipping_method": gettext_lazy("shipping method"),
    "payment_kind": gettext_lazy("payment"),
    "notice_days": gettext_lazy("advance notice days"),
    "stock_policy": gettext_lazy("stock policy"),
    "stock_retry_days": gettext_lazy("retry days"),
    "name": gettext_lazy("name"),
}


def _stored_date(value) -> str:
    """A date as the change's data keeps it (ISO, the same in every language)."""
    return str(value or "")


def _change_text(kind: str, data: dict, items) -> str:
    if kind == "created":
        text = gettext("Created: %(schedule)s from %(date)s") % {
            "schedule": rule_describe(data.get("rule", "")),
            "date": _stored_date(data.get("start_date", "")),
        }
        if isinstance(data.get("lines"), dict):
            text += f"; {items(data['lines'])}"
        return text
    if kind == "lines_changed":
        return gettext("Items changed from %(before)s to %(after)s") % {
            "before": items(data.get("before") or {}),
            "after": items(data.get("after") or {}),
        }
    if kind == "rescheduled":
        before, after = data.get("before") or {}, data.get("after") or {}
        text = gettext("Schedule changed to %(schedule)s from %(date)s") % {
            "schedule": rule_describe(after.get("rule", "")),
            "date": _stored_date(after.get("start_date", "")),
        }
        moving = after.get("move_to_working_day")
        if moving is not None and moving != before.get("move_to_working_day"):
            text += (
                gettext("; weekend and holiday dates now move to the next working day")
                if moving
                else gettext("; weekend and holiday dates no longer move")
            )
        return text
    if kind == "skipped":
        return gettext("Skipped %(date)s") % {"date": _stored_date(data.get("date", ""))}
    if kind == "unskipped":
        return gettext("Un-skipped %(date)s") % {"date": _stored_date(data.get("date", ""))}
    if kind == StandingOrder.Status.PAUSED or kind == "pause_changed":
        if data.get("until"):
            return gettext("Paused until %(date)s") % {"date": _stored_date(data["until"])}
        return gettext("Paused until resumed")
    if kind == StandingOrder.Status.ACTIVE:
        return gettext("Resumed")
    if kind == StandingOrder.Status.CANCELLED:
        if data.get("reason"):
            return gettext("Cancelled: %(reason)s") % {"reason": data["reason"]}
        return gettext("Cancelled")
    if kind == StandingOrder.Status.ENDED:
        return gettext("Ended: the schedule has no more dates")
    if kind == "updated":
        # In a fixed order: a JSON column may give the keys back in any order.
        parts = [
            str(name)
            if key == "shipping_address"
            else gettext("%(field)s to %(value)s") % {"field": name, "value": data[key]}
            for key, name in _FIELD_NAMES.items()
            if key in data
        ]
        parts += [
            gettext("%(field)s to %(value)s") % {"field": k, "value": v}
            for k, v in sorted(data.items())
            if k not in _FIELD_NAMES
        ]
        return gettext("Changed %(fields)s") % {"fields": ", ".join(parts)}
    return kind.replace("_", " ").capitalize()


def change_texts(changes: list[Change]) -> list[tuple[Change, str]]:
    """Each change of the log with its sentence, in the active language."""
    variant_ids = set()
    for change in changes:
        for key in ("lines", "before", "after"):
            value = change.data.get(key)
            if isinstance(value, dict):
                variant_ids |= {int(k) for k in value if str(k).isdigit()}
    skus = dict(Variant.objects.filter(pk__in=variant_ids).values_list("pk", "sku")) if variant_ids else {}

    def items(value: dict) -> str:
        if not value:
            return gettext("none")
        return ", ".join(
            f"{formats.number_format(q, force_grouping=True)} × {skus.get(int(k), k)}" for k, q in value.items()
        )

    return [(change, _change_text(change.kind, change.data or {}, items)) for change in changes]
