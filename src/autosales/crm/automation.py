"""Automation rules: the built-in rules that do a salesperson's routine by themselves, and the one way they act.

Each rule has a code, a switch and an offset in days (`AutomationRule`, edited in the back office; a rule with no
row runs with its defaults). A rule acts through `task_create_once` (or `email_queue_once`): the event it acts on
is named by a key, stored unique with the task (or on the timeline entry), so each event makes at most one task or
email whatever the re-runs, clock jumps and concurrent workers. Every action is written on the customer's timeline
with the rule that made it, in the same transaction.
"""

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from django.db import IntegrityError, transaction

from autosales.core import clock
from autosales.crm.models import Activity, ActivityKind, AutomationRule, Task
from autosales.customers.models import Organization, User


@dataclass(frozen=True)
class RuleSpec:
    code: str
    label: str
    description: str
    default_days: int
    days_label: str
    default_enabled: bool = True


RULES: dict[str, RuleSpec] = {}


def rule_register(spec: RuleSpec) -> RuleSpec:
    RULES[spec.code] = spec
    return spec


REORDER_DUE = rule_register(
    RuleSpec(
        code="reorder_due",
        label="Call a regular customer when their reorder is due",
        description="A task for the owner when a customer's predicted reorder date is near and nothing covers it.",
        default_days=5,
        days_label="days before the predicted date",
    )
)
LAPSING = rule_register(
    RuleSpec(
        code="lapsing",
        label="Win back a lapsing regular customer",
        description="A task for the owner when a regular customer is well past their usual reorder date.",
        default_days=21,
        days_label="days past the predicted date",
    )
)


@dataclass(frozen=True)
class RuleSetting:
    spec: RuleSpec
    enabled: bool
    days: int


def rule_settings() -> dict[str, RuleSetting]:
    """Every registered rule with its switch and offset (one query)."""
    stored = {row.code: row for row in AutomationRule.objects.filter(code__in=list(RULES))}
    settings = {}
    for code, spec in RULES.items():
        row = stored.get(code)
        settings[code] = RuleSetting(
            spec=spec,
            enabled=row.enabled if row is not None else spec.default_enabled,
            days=row.days if row is not None else spec.default_days,
        )
    return settings


def rule_setting(code: str) -> RuleSetting:
    return rule_settings()[code]


# The passes that look for the events rules act on, each `(now) -> number of actions`; the job `crm.automation`
# runs them all. A module that defines rules registers its pass with `@rule_pass` and is imported by crm.jobs.
PASSES: list[Callable[..., int]] = []


def rule_pass(func: Callable[..., int]) -> Callable[..., int]:
    PASSES.append(func)
    return func


def automation_run(*, now: dt.datetime) -> int:
    """Every rule's pass once (each skips itself when its rule is switched off); the number of actions taken."""
    return sum(run(now=now) for run in PASSES)


def rule_save(*, code: str, enabled: bool, days: int) -> AutomationRule:
    if code not in RULES:
        raise KeyError(code)
    row, _ = AutomationRule.objects.update_or_create(code=code, defaults={"enabled": enabled, "days": days})
    return row


def task_create_once(
    *,
    rule: str,
    key: str,
    organization: Organization,
    title: str,
    due_at: dt.datetime,
    owner: User | None = None,
    notes: str = "",
    kind: str = Task.Kind.CALL,
    priority: int = Task.Priority.NORMAL,
    order=None,
    invoice=None,
) -> Task | None:
    """The task `rule` owes for the event `key`, owned by `owner` (default: the account's salesperson), with its
    timeline entry, in one transaction; None when the event already had its task or the account has no owner."""
    owner = owner or organization.salesperson
    if owner is None:
        return None
    automation_key = f"{rule}:{key}"[:100]
    if Task.objects.filter(automation_key=automation_key).exists():
        return None
    spec = RULES[rule]
    try:
        with transaction.atomic():
            task = Task.objects.create(
                organization=organization,
                owner=owner,
                title=title[:200],
                kind=kind,
                due_at=due_at,
                priority=priority,
                notes=notes,
                order=order,
                invoice=invoice,
                rule=rule,
                automation_key=automation_key,
            )
            Activity.objects.create(
                organization=organization,
                at=clock.now(),
                kind=ActivityKind.AUTOMATION,
                subject=f"Task for {owner}: {task.title}"[:300],
                body=f"Made by the rule “{spec.label}”.",
                data={"rule": rule, "task": task.public_id},
                source_key=automation_key,
            )
    except IntegrityError:
        return None  # made meanwhile by another worker
    return task
