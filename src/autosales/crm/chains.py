"""Chained rules: a task of a rule completed with a chosen outcome makes the next task, as the back office set it.

The steps are data (`RuleStep`: on rule X's task done with outcome Y, task Z N days later). `chain_apply` runs in
the transaction that completes the task (crm.tasks.task_transition), and the next task is keyed by the completed
task, so each completed task makes at most one next task, however often it is reopened and completed again.
"""

import datetime as dt

from django.conf import settings
from django.db import transaction

from autosales.core.errors import DomainError
from autosales.crm.automation import PLACEHOLDER, RULES, placeholders_fill, task_create_once
from autosales.crm.errors import CrmErrorCode
from autosales.crm.models import RuleStep, Task

STEP_PLACEHOLDERS = ("customer", "salesperson", "shop")
MAX_STEP_DAYS = 365


def chain_steps() -> list[RuleStep]:
    return list(RuleStep.objects.order_by("rule", "outcome", "pk"))


def step_save(*, rule: str, outcome: str, title: str, kind: str, days, step: RuleStep | None = None) -> RuleStep:
    """Add a chain step (or change `step`); raises DomainError naming the field of a bad value, changing nothing."""
    if rule not in RULES:
        raise DomainError(CrmErrorCode.CHOICE_INVALID, "Choose one of the rules.", "rule")
    if outcome not in Task.Outcome.values:
        raise DomainError(CrmErrorCode.CHOICE_INVALID, "Choose one of the outcomes.", "outcome")
    if kind not in Task.Kind.values:
        raise DomainError(CrmErrorCode.CHOICE_INVALID, "Choose a call, an email, a visit or a to-do.", "kind")
    if not isinstance(days, int) or isinstance(days, bool) or not 0 <= days <= MAX_STEP_DAYS:
        raise DomainError(CrmErrorCode.INVALID, f"Days are a whole number from 0 to {MAX_STEP_DAYS}.", "days")
    title = " ".join((title or "").split())
    if not title:
        raise DomainError(CrmErrorCode.REQUIRED, "Name the next task.", "title")
    if len(title) > 200:
        raise DomainError(CrmErrorCode.TOO_LONG, "The title is at most 200 characters.", "title")
    unknown = sorted(set(PLACEHOLDER.findall(title)) - set(STEP_PLACEHOLDERS))
    if unknown:
        raise DomainError(
            CrmErrorCode.INVALID,
            f"Unknown placeholder {{{unknown[0]}}}; a title may use {{customer}}, {{salesperson}} or {{shop}}.",
            "title",
        )
    clash = RuleStep.objects.filter(rule=rule, outcome=outcome)
    if step is not None:
        clash = clash.exclude(pk=step.pk)
    if clash.exists():
        raise DomainError(
            CrmErrorCode.DUPLICATE, "That rule already has a next step for this outcome; change that one.", "outcome"
        )
    step = step or RuleStep()
    step.rule, step.outcome, step.title, step.kind, step.days = rule, outcome, title, kind, days
    with transaction.atomic():
        step.save()
    return step


def step_delete(*, step: RuleStep) -> None:
    step.delete()


def chain_apply(*, task: Task) -> Task | None:
    """The next task owed by a done task's rule and outcome (same owner, contact, order and invoice), once per
    completed task; None when no step applies or it was already made."""
    if not task.rule or task.rule not in RULES or not task.outcome or task.completed_at is None:
        return None
    step = RuleStep.objects.filter(rule=task.rule, outcome=task.outcome).first()
    if step is None:
        return None
    organization, owner = task.organization, task.owner
    values = {
        "customer": organization.name,
        "salesperson": owner.get_full_name() or owner.username,
        "shop": settings.SHOP.get("name", ""),
    }
    return task_create_once(
        rule=task.rule,
        key=f"after:{task.pk}",
        organization=organization,
        owner=owner,
        title=placeholders_fill(step.title, values),
        due_at=task.completed_at + dt.timedelta(days=step.days),
        kind=step.kind,
        priority=task.priority,
        contact=task.contact,
        order=task.order,
        invoice=task.invoice,
        reason=f"Next step after “{task.title}”: {task.get_outcome_display().lower()}.",
    )
