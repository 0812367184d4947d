"""Tasks: create, edit, move (snooze), reassign, and the one place their status changes.

A task's status moves only through `task_transition`, under a row lock that re-reads the stored status (the
table below). Completing a recurring task opens the next one on its rule's next date, at the same local time in
the owner's zone; the reminders of a task follow its due moment (crm.reminders), so moving it moves them.
"""

import datetime as dt
from zoneinfo import ZoneInfo

from django.db import transaction
from django.utils import timezone

from autosales.core import clock
from autosales.core.errors import Conflict, DomainError
from autosales.crm.chains import chain_apply
from autosales.crm.errors import CrmErrorCode
from autosales.crm.models import Activity, Contact, Task
from autosales.crm.permissions import crm_required, organization_in_scope
from autosales.crm.selectors import time_zone_of_salesperson
from autosales.crm.services import choice_clean, text_clean
from autosales.customers.models import Organization, User
from autosales.recurring.schedule import ScheduleError, rule_expand, rule_validate

# The moves a task's status may make.
TRANSITIONS = {
    Task.Status.OPEN: {Task.Status.DONE, Task.Status.CANCELLED},
    Task.Status.DONE: {Task.Status.OPEN},
    Task.Status.CANCELLED: {Task.Status.OPEN},
}
MAX_OFFSET_MINUTES = 14 * 24 * 60
MAX_OFFSETS = 5


def offsets_clean(value, *, field: str = "reminder_offsets") -> list[int]:
    """Reminder offsets as whole minutes before the due moment, largest first, at most MAX_OFFSETS of them."""
    if isinstance(value, str):
        value = [v for v in value.replace(";", ",").split(",") if v.strip()]
    try:
        offsets = sorted({int(v) for v in value or []}, reverse=True)
    except (TypeError, ValueError):
        raise DomainError(
            CrmErrorCode.INVALID, "Reminders are whole numbers of minutes before the task.", field
        ) from None
    if any(not 0 <= o <= MAX_OFFSET_MINUTES for o in offsets):
        raise DomainError(CrmErrorCode.INVALID, "A reminder is from 0 minutes to 14 days before the task.", field)
    if len(offsets) > MAX_OFFSETS:
        raise DomainError(CrmErrorCode.INVALID, f"At most {MAX_OFFSETS} reminders per task.", field)
    return offsets


def _due_clean(due_at, *, field: str = "due_at") -> dt.datetime:
    if not isinstance(due_at, dt.datetime) or timezone.is_naive(due_at):
        raise DomainError(CrmErrorCode.DUE_INVALID, "A due date and time is required.", field)
    return due_at


def _recurrence_clean(rule: str, *, start: dt.date) -> str:
    rule = text_clean(rule, field="recurrence", max_length=500)
    if not rule:
        return ""
    try:
        return rule_validate(rule, start=start)
    except ScheduleError as exc:
        raise DomainError(CrmErrorCode.RULE_INVALID, exc.message, "recurrence") from None


def _owner_check(*, owner: User, organization: Organization) -> None:
    if not organization_in_scope(user=owner, organization=organization):
        raise DomainError(
            CrmErrorCode.OWNER_INVALID, f"{owner} does not work this account, so cannot own its tasks.", "owner"
        )


def task_create(
    *,
    organization: Organization,
    actor: User,
    title: str,
    due_at: dt.datetime,
    kind: str = Task.Kind.CALL,
    owner: User | None = None,
    contact: Contact | None = None,
    priority: int = Task.Priority.NORMAL,
    notes: str = "",
    recurrence: str = "",
    reminder_offsets=None,
    order=None,
    invoice=None,
    activity: Activity | None = None,
) -> Task:
    """A task on the organization's account, owned by `owner` (default: the actor), who must work the account."""
    crm_required(user=actor, action="add", model="task", organization=organization)
    owner = owner or actor
    _owner_check(owner=owner, organization=organization)
    title = text_clean(title, field="title", max_length=200, required=True)
    kind = choice_clean(kind, choices=Task.Kind.choices, field="kind", required=True)
    due_at = _due_clean(due_at)
    if priority not in Task.Priority.values:
        raise DomainError(CrmErrorCode.CHOICE_INVALID, "The priority must be 1 (low), 2 or 3 (high).", "priority")
    if contact is not None and contact.organization_id != organization.pk:
        raise DomainError(CrmErrorCode.INVALID, "That person is not one of this organization's contacts.", "contact")
    if order is not None and order.organization_id != organization.pk:
        raise DomainError(CrmErrorCode.INVALID, "That order is not this organization's.", "order")
    if invoice is not None and invoice.organization_id != organization.pk:
        raise DomainError(CrmErrorCode.INVALID, "That invoice is not this organization's.", "invoice")
    local_day = due_at.astimezone(ZoneInfo(time_zone_of_salesperson(user=owner))).date()
    return Task.objects.create(
        organization=organization,
        owner=owner,
        created_by=actor,
        title=title,
        kind=kind,
        due_at=due_at,
        priority=priority,
        notes=text_clean(notes, field="notes", max_length=20000),
        recurrence=_recurrence_clean(recurrence, start=local_day),
        reminder_offsets=offsets_clean(reminder_offsets) if reminder_offsets is not None else None,
        contact=contact,
        order=order,
        invoice=invoice,
        activity=activity,
    )


def _locked(task: Task) -> Task:
    return Task.objects.select_for_update(of=("self",)).select_related("organization", "owner").get(pk=task.pk)


def task_update(*, task: Task, actor: User, **fields) -> Task:
    """Change the given fields (title, kind, priority, notes, due_at, contact, recurrence, reminder_offsets) of an
    open task."""
    crm_required(user=actor, action="change", model="task", organization=task.organization)
    values = {}
    if "title" in fields:
        values["title"] = text_clean(fields["title"], field="title", max_length=200, required=True)
    if "kind" in fields:
        values["kind"] = choice_clean(fields["kind"], choices=Task.Kind.choices, field="kind", required=True)
    if "priority" in fields:
        if fields["priority"] not in Task.Priority.values:
            raise DomainError(CrmErrorCode.CHOICE_INVALID, "The priority must be 1 (low), 2 or 3 (high).", "priority")
        values["priority"] = fields["priority"]
    if "notes" in fields:
        values["notes"] = text_clean(fields["notes"], field="notes", max_length=20000)
    if "due_at" in fields:
        values["due_at"] = _due_clean(fields["due_at"])
    if "contact" in fields:
        contact = fields["contact"]
        if contact is not None and contact.organization_id != task.organization_id:
            raise DomainError(
                CrmErrorCode.INVALID, "That person is not one of this organization's contacts.", "contact"
            )
        values["contact"] = contact
    if "reminder_offsets" in fields:
        offsets = fields["reminder_offsets"]
        values["reminder_offsets"] = offsets_clean(offsets) if offsets is not None else None
    if "recurrence" in fields:
        due = values.get("due_at", task.due_at)
        local_day = due.astimezone(ZoneInfo(time_zone_of_salesperson(user=task.owner))).date()
        values["recurrence"] = _recurrence_clean(fields["recurrence"], start=local_day)
    with transaction.atomic():
        locked = _locked(task)
        if not locked.is_open:
            raise Conflict(CrmErrorCode.TASK_CLOSED, "The task is closed; reopen it to change it.", "status")
        for name, value in values.items():
            setattr(locked, name, value)
        locked.save()
    return locked


def task_move(*, task: Task, actor: User, due_at: dt.datetime) -> Task:
    """The task is due at `due_at` instead; its reminders follow."""
    return task_update(task=task, actor=actor, due_at=due_at)


def task_snooze(*, task: Task, actor: User, minutes: int) -> Task:
    """Due `minutes` later than now or than it was due, whichever is later (snoozing an overdue task brings it
    back `minutes` from now)."""
    if not isinstance(minutes, int) or not 1 <= minutes <= 60 * 24 * 365:
        raise DomainError(CrmErrorCode.INVALID, "Snooze for 1 minute to a year.", "minutes")
    base = max(task.due_at, clock.now())
    return task_move(task=task, actor=actor, due_at=base + dt.timedelta(minutes=minutes))


def task_reassign(*, task: Task, actor: User, owner: User) -> Task:
    """Another salesperson who works the account owns the task from now on (and gets its reminders)."""
    crm_required(user=actor, action="change", model="task", organization=task.organization)
    _owner_check(owner=owner, organization=task.organization)
    with transaction.atomic():
        locked = _locked(task)
        if not locked.is_open:
            raise Conflict(CrmErrorCode.TASK_CLOSED, "The task is closed; reopen it to reassign it.", "status")
        locked.owner = owner
        locked.save(update_fields=["owner"])
    return locked


def next_due_at(task: Task) -> dt.datetime | None:
    """The due moment of the next task of a recurring one: the rule's next date after this one, at the same local
    time in the owner's zone; None when the rule has no more dates."""
    if not task.recurrence:
        return None
    zone = ZoneInfo(time_zone_of_salesperson(user=task.owner))
    local = task.due_at.astimezone(zone)
    dates = rule_expand(task.recurrence, start=local.date(), after=local.date(), limit=1).dates
    if not dates:
        return None
    return dt.datetime.combine(dates[0], local.time(), tzinfo=zone).astimezone(dt.UTC)


def task_transition(*, task: Task, to: str, actor: User, outcome: str = "") -> Task:
    """Move the task's status (see TRANSITIONS) under a lock; completing a recurring task opens its next one, and
    completing it with an `outcome` makes the next task its rule's chain says (crm.chains), once."""
    crm_required(user=actor, action="change", model="task", organization=task.organization)
    if to == Task.Status.DONE:
        outcome = choice_clean(outcome, choices=Task.Outcome.choices, field="outcome") or Task.Outcome.DONE
    elif outcome:
        raise DomainError(CrmErrorCode.INVALID, "Only a task being completed has an outcome.", "outcome")
    with transaction.atomic():
        locked = _locked(task)
        if to not in TRANSITIONS.get(locked.status, set()):
            raise Conflict(
                CrmErrorCode.TASK_STATUS,
                f"A task that is {locked.get_status_display().lower()} cannot become {to}.",
                "status",
            )
        locked.status = to
        locked.completed_at = clock.now() if to == Task.Status.DONE else None
        locked.outcome = outcome
        locked.save(update_fields=["status", "completed_at", "outcome"])
        if to == Task.Status.DONE:
            chain_apply(task=locked)
        if to == Task.Status.DONE and locked.recurrence and not Task.objects.filter(previous=locked).exists():
            due = next_due_at(locked)
            if due is not None:
                Task.objects.create(
                    organization=locked.organization,
                    owner=locked.owner,
                    created_by=actor,
                    title=locked.title,
                    kind=locked.kind,
                    due_at=due,
                    priority=locked.priority,
                    notes=locked.notes,
                    recurrence=locked.recurrence,
                    reminder_offsets=locked.reminder_offsets,
                    contact=locked.contact,
                    previous=locked,
                )
    return locked


def task_complete(*, task: Task, actor: User, outcome: str = "") -> Task:
    return task_transition(task=task, to=Task.Status.DONE, actor=actor, outcome=outcome)


def activity_log_with_follow_up(
    *, organization: Organization, actor: User, activity: dict, follow_up: dict | None = None
) -> tuple[Activity, Task | None]:
    """Log an activity and, when `follow_up` is given (title, due_at, kind, ...), the task that follows it up, both
    or neither."""
    from autosales.crm.services import activity_log

    with transaction.atomic():
        logged = activity_log(organization=organization, actor=actor, **activity)
        task = None
        if follow_up:
            follow_up = {"contact": logged.contact, **follow_up}
            task = task_create(organization=organization, actor=actor, activity=logged, **follow_up)
    return logged, task
