"""Automation rules: the built-in rules that do a salesperson's routine by themselves, and the one way they act.

Each rule has a code, a switch and an offset in days (`AutomationRule`, edited in the back office; a rule with no
row runs with its defaults). A rule acts through `task_create_once` (or `email_queue_once`): the event it acts on
is named by a key, stored unique with the task (or on the timeline entry), so each event makes at most one task or
email whatever the re-runs, clock jumps and concurrent workers. Every action is written on the customer's timeline
with the rule that made it, in the same transaction.
"""

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass

from django.db import IntegrityError, transaction

from autosales.core import clock
from autosales.core.errors import DomainError
from autosales.crm.errors import CrmErrorCode
from autosales.crm.models import Activity, ActivityKind, AutomationRule, Task
from autosales.crm.outreach import TEMPLATE as MESSAGE_TEMPLATE
from autosales.customers.models import Organization, User
from autosales.notifications.services import email_queue


@dataclass(frozen=True)
class RuleSpec:
    code: str
    label: str
    description: str
    default_days: int
    days_label: str
    default_enabled: bool = True
    # A rule that may email the customer instead: its default subject and text, and the placeholders they may use
    # (crm.rules.PLACEHOLDERS names them); a rule without a default subject only makes tasks.
    default_subject: str = ""
    default_body: str = ""
    placeholders: tuple[str, ...] = ()
    max_days: int = 365

    @property
    def can_email(self) -> bool:
        return bool(self.default_subject)


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
    action: str = AutomationRule.Action.TASK
    email_subject: str = ""
    email_body: str = ""

    @property
    def emails(self) -> bool:
        return self.spec.can_email and self.action == AutomationRule.Action.EMAIL


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
            action=row.action if row is not None else AutomationRule.Action.TASK,
            email_subject=(row.email_subject if row is not None else "") or spec.default_subject,
            email_body=(row.email_body if row is not None else "") or spec.default_body,
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


# For `autosales simulate`: functions `(moment) -> the next moment a rule has something to do, or None`.
WORK_DUE: list[Callable[[dt.datetime], dt.datetime | None]] = []


def rule_work_due(func: Callable[[dt.datetime], dt.datetime | None]) -> Callable[[dt.datetime], dt.datetime | None]:
    WORK_DUE.append(func)
    return func


def automation_work_due(moment: dt.datetime) -> dt.datetime | None:
    """The earliest moment after `moment` at which a rule will act (the job's `work_due`)."""
    candidates = [due for func in WORK_DUE if (due := func(moment)) is not None]
    return min(candidates) if candidates else None


def automation_run(*, now: dt.datetime) -> int:
    """Every rule's pass once (each skips itself when its rule is switched off); the number of actions taken."""
    return sum(run(now=now) for run in PASSES)


def automation_actions_since(moment: dt.datetime) -> list[dict]:
    """The tasks and emails the rules made from `moment` on, as `autosales simulate` prints them (two queries)."""
    entries = list(
        Activity.objects.filter(kind=ActivityKind.AUTOMATION, created_at__gte=moment)
        .select_related("organization")
        .order_by("pk")
    )
    tasks = Task.objects.select_related("owner").in_bulk(
        [e.data["task"] for e in entries if e.data.get("task")], field_name="public_id"
    )
    events = []
    for entry in entries:
        rule = entry.data.get("rule", "")
        task = tasks.get(entry.data.get("task", ""))
        if task is not None:
            detail = f"{task.title} (for {task.owner}, due {task.due_at:%Y-%m-%d})"
            events.append(
                {
                    "type": "task",
                    "rule": rule,
                    "organization": entry.organization.name,
                    "title": task.title,
                    "owner": str(task.owner),
                    "due_at": task.due_at.isoformat(),
                    "reason": f"{rule}: {detail}",
                }
            )
        elif entry.data.get("outbox"):
            events.append(
                {
                    "type": "rule_email",
                    "rule": rule,
                    "organization": entry.organization.name,
                    "to": entry.data.get("to", []),
                    "subject": entry.subject,
                    "reason": f"{rule}: {entry.subject}",
                }
            )
    return events


def rule_save(
    *,
    code: str,
    enabled: bool,
    days: int,
    action: str = AutomationRule.Action.TASK,
    email_subject: str = "",
    email_body: str = "",
) -> AutomationRule:
    """Store a rule's switch, offset, action and email (blank subject or text: the rule's default); raises
    DomainError naming the field of a bad value, and changes nothing then."""
    spec = RULES.get(code)
    if spec is None:
        raise DomainError(CrmErrorCode.CHOICE_INVALID, f"There is no rule {code!r}.", "code")
    if not isinstance(days, int) or isinstance(days, bool) or not 0 <= days <= spec.max_days:
        raise DomainError(CrmErrorCode.INVALID, f"Days are a whole number from 0 to {spec.max_days}.", "days")
    if action not in AutomationRule.Action.values:
        raise DomainError(CrmErrorCode.CHOICE_INVALID, "The action is a task or an email.", "action")
    if action == AutomationRule.Action.EMAIL and not spec.can_email:
        raise DomainError(CrmErrorCode.CHOICE_INVALID, "This rule only makes tasks.", "action")
    email_subject = " ".join((email_subject or "").split())
    email_body = (email_body or "").strip()
    if len(email_subject) > 300:
        raise DomainError(CrmErrorCode.TOO_LONG, "The subject is at most 300 characters.", "email_subject")
    if len(email_body) > 20000:
        raise DomainError(CrmErrorCode.TOO_LONG, "The text is at most 20,000 characters.", "email_body")
    for field, text in (("email_subject", email_subject), ("email_body", email_body)):
        unknown = sorted(set(PLACEHOLDER.findall(text)) - set(spec.placeholders))
        if unknown:
            allowed = ", ".join(f"{{{name}}}" for name in spec.placeholders) or "none"
            raise DomainError(
                CrmErrorCode.INVALID, f"Unknown placeholder {{{unknown[0]}}}; this rule knows {allowed}.", field
            )
    if email_subject == spec.default_subject:
        email_subject = ""
    if email_body == spec.default_body.strip():
        email_body = ""
    row, _ = AutomationRule.objects.update_or_create(
        code=code,
        defaults={
            "enabled": bool(enabled),
            "days": days,
            "action": action,
            "email_subject": email_subject,
            "email_body": email_body,
        },
    )
    return row


PLACEHOLDER = re.compile(r"\{(\w+)\}")


def placeholders_fill(text: str, values: dict[str, str]) -> str:
    """`text` with each {name} it holds replaced by its value (an unknown name stays as typed)."""
    return PLACEHOLDER.sub(lambda m: str(values.get(m.group(1), m.group(0))), text)


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
    contact=None,
    reason: str = "",
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
                contact=contact,
                rule=rule,
                automation_key=automation_key,
            )
            Activity.objects.create(
                organization=organization,
                at=clock.now(),
                kind=ActivityKind.AUTOMATION,
                subject=f"Task for {owner}: {task.title}"[:300],
                body=f"Made by the rule “{spec.label}”." + (f" {reason}" if reason else ""),
                data={"rule": rule, "task": task.public_id},
                source_key=automation_key,
            )
    except IntegrityError:
        return None  # made meanwhile by another worker
    return task


def email_queue_once(
    *,
    rule: str,
    key: str,
    organization: Organization,
    to: str | list[str],
    subject: str,
    body: str,
    sender: User | None = None,
) -> Activity | None:
    """The email `rule` owes the customer for the event `key`, queued in the outbox (template crm/message, signed by
    `sender`, default the account's salesperson) with its timeline entry naming the rule, in one transaction; None
    when the event was already acted on (by an email or a task)."""
    automation_key = f"{rule}:{key}"[:100]
    if Activity.objects.filter(source_key=automation_key).exists():
        return None
    spec = RULES[rule]
    sender = sender or organization.salesperson
    recipients = [to] if isinstance(to, str) else list(to)
    try:
        with transaction.atomic():
            activity = Activity.objects.create(
                organization=organization,
                at=clock.now(),
                kind=ActivityKind.AUTOMATION,
                subject=f"Email to {', '.join(recipients)}: {subject}"[:300],
                body=f"Made by the rule “{spec.label}”.\n\n{body}",
                direction=Activity.Direction.OUTBOUND,
                data={"rule": rule, "to": recipients},
                source_key=automation_key,
            )
            email = email_queue(
                to=recipients,
                template=MESSAGE_TEMPLATE,
                context={"subject": subject, "body": body, "sender": sender, "contact_name": ""},
                related=activity,
                message_id=f"crm-rule-{activity.public_id}",
                time_zone=organization.timezone,
                first=True,
            )
            activity.data = {**activity.data, "outbox": email.public_id}
            activity.save(update_fields=["data"])
    except IntegrityError:
        return None  # acted on meanwhile by another worker
    return activity
