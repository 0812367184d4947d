"""The rules that act on the reorder predictions, run by the job `crm.automation` (`@rule_pass`).

- `reorder_due`: a regular customer's product is predicted within the rule's days and nothing covers it (no order
  of it since, no open order with it, no active standing order with it): a call task for the owner, once per
  predicted cycle (the key names the account, the variant and the last order's date, so the next order starts a
  new cycle), suggesting a standing order.
- `lapsing`: a regular customer (its orders overall) is more than the rule's days past its predicted date, has not
  ordered since and has no active standing order: a win-back task, once per lapse (keyed by the last order's date).
"""

from __future__ import annotations

import datetime as dt

from autosales.core.money import Money
from autosales.crm.automation import LAPSING, REORDER_DUE, rule_pass, rule_settings, task_create_once
from autosales.crm.models import ReorderPrediction, Task
from autosales.crm.prediction.selectors import uncovered_regular_predictions
from autosales.crm.prediction.store import predictions_refresh_if_stale


def _day(value: dt.date) -> str:
    return f"{value:%b} {value.day}"


def _every(prediction: ReorderPrediction) -> str:
    weeks = prediction.every_weeks
    if prediction.interval_days < 10:
        return f"every {round(prediction.interval_days)} days"
    return f"every {weeks} week{'s' if weeks != 1 else ''}"


def reorder_task_text(prediction: ReorderPrediction) -> tuple[str, str]:
    """The title and notes of the call a product's predicted reorder asks for."""
    organization, variant = prediction.organization, prediction.variant
    product = variant.product.name
    title = (
        f"Call {organization.name}: they usually reorder {product} about now "
        f"({_every(prediction)}, last on {_day(prediction.last_order_at.date())})"
    )
    notes = (
        f"Predicted next order: {_day(prediction.next_on)}, about {prediction.expected_quantity} × {variant.sku} "
        f"({Money(prediction.expected_value, prediction.currency)}), learned from {prediction.orders} orders; "
        f"confidence {prediction.confidence:.0%}.\n"
        f"Offer a standing order: {prediction.expected_quantity} × {variant.sku} {_every(prediction)}, placed by "
        "itself until they say stop — the task has a link that fills it in."
    )
    return title, notes


@rule_pass
def reorder_due_pass(*, now: dt.datetime) -> int:
    setting = rule_settings()[REORDER_DUE.code]
    if not setting.enabled:
        return 0
    predictions_refresh_if_stale(now=now)
    today = now.date()
    lapse_days = rule_settings()[LAPSING.code].days
    due = uncovered_regular_predictions().filter(
        variant__isnull=False,
        next_on__lte=today + dt.timedelta(days=setting.days),
        next_on__gte=today - dt.timedelta(days=lapse_days),
    )
    made = 0
    for prediction in due:
        title, notes = reorder_task_text(prediction)
        task = task_create_once(
            rule=REORDER_DUE.code,
            key=f"{prediction.organization_id}:{prediction.variant_id}:{prediction.last_order_at.date().isoformat()}",
            organization=prediction.organization,
            title=title,
            due_at=now,
            notes=notes,
            kind=Task.Kind.CALL,
        )
        made += task is not None
    return made


@rule_pass
def lapsing_pass(*, now: dt.datetime) -> int:
    setting = rule_settings()[LAPSING.code]
    if not setting.enabled:
        return 0
    predictions_refresh_if_stale(now=now)
    lapsed = uncovered_regular_predictions().filter(
        variant__isnull=True, next_on__lt=now.date() - dt.timedelta(days=setting.days)
    )
    made = 0
    for prediction in lapsed:
        organization = prediction.organization
        last = prediction.last_order_at.date()
        task = task_create_once(
            rule=LAPSING.code,
            key=f"{organization.pk}:all:{last.isoformat()}",
            organization=organization,
            title=f"Win back {organization.name}: no order since {_day(last)} (they ordered {_every(prediction)})",
            due_at=now,
            notes=(
                f"Their next order was expected by {_day(prediction.next_on)}; a usual order is about "
                f"{Money(prediction.expected_value, prediction.currency)}. Ask what changed; offer a standing order "
                "so the supply does not depend on someone remembering."
            ),
            kind=Task.Kind.CALL,
            priority=Task.Priority.HIGH,
        )
        made += task is not None
    return made
