"""The built-in follow-up rules: a delivered order, a failed standing-order run, an overdue invoice, a new customer's
first order, a cancelled standing order. Each makes a task for the account's owner, or (set so in the back office)
an email to the customer from its template, once per event (crm.automation's `task_create_once` /
`email_queue_once`).

How a pass finds its events: each rule reads one kind of the other apps' rows (`EventSource`) whose moment (when
the order was delivered, the run failed, the invoice fell due, ...) lies in a window that ends N days ago (the
rule's offset, counted in the shop's days) and starts at the rule's cursor (`SyncCursor` "rule:<code>"), re-read
with an overlap for rows that committed late. The cursor then moves to the window's end, so a pass never rescans
history, and an event missed while nothing ran (downtime, a jump of the clock) is still in the next window. The
events of a batch and what was already done for them are read in bulk (a fixed number of queries per batch); only
an event that is acted on costs its own writes. A switched-off rule moves its cursor without acting: switched on
again, it acts on events from then on, never on the backlog of while it was off.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from django.db.models import Min, Q, QuerySet

from autosales.billing.models import Invoice
from autosales.billing.notices import billing_contact_emails
from autosales.core import clock
from autosales.core.timezones import shop_time_zone
from autosales.crm.automation import (
    RuleSetting,
    RuleSpec,
    email_queue_once,
    placeholders_fill,
    rule_pass,
    rule_register,
    rule_settings,
    rule_work_due,
    task_create_once,
)
from autosales.crm.models import Activity, SyncCursor, Task
from autosales.customers.models import Organization
from autosales.orders.models import Order, OrderEvent, OrderStatus
from autosales.recurring.models import Change, Run, StandingOrder

OVERLAP = dt.timedelta(minutes=10)
# A rule's first pass (no cursor yet) looks back this far, not over the whole history.
FIRST_LOOK_BACK = dt.timedelta(days=14)
BATCH = 200
MAX_BATCHES = 20

# Every placeholder an email template (or a chain step's title) may hold, with what it stands for.
PLACEHOLDERS = {
    "customer": "the customer's name",
    "salesperson": "the account owner's name",
    "shop": "the shop's name",
    "order": "the order's confirmation number",
    "order_total": "the order's total",
    "invoice": "the invoice's number",
    "amount_due": "what is left to pay on the invoice",
    "due_date": "the invoice's due date",
    "days_overdue": "how many days the invoice is overdue",
    "standing_order": "the standing order's name",
    "run_date": "the date of the standing order's failed order",
}
_COMMON = ("customer", "salesperson", "shop")

ORDER_DELIVERED = rule_register(
    RuleSpec(
        code="order_delivered",
        label="Follow up on a delivered order",
        description="A call to hear how the order arrived, some days after it was delivered.",
        default_days=3,
        days_label="days after delivery",
        default_subject="How did order {order} arrive?",
        default_body=(
            "Hello,\n\nyour order {order} was delivered a few days ago. Did everything arrive as expected? Reply to"
            " this email if anything is missing or damaged, and we will put it right.\n\nThank you for ordering"
            " from {shop}."
        ),
        placeholders=(*_COMMON, "order", "order_total"),
    )
)
RUN_FAILED = rule_register(
    RuleSpec(
        code="run_failed",
        label="Call about a failed standing-order run",
        description="A task (high priority) when a standing order's scheduled order could not be placed.",
        default_days=0,
        days_label="days after the failure",
        default_subject="Your standing order {standing_order} could not be placed",
        default_body=(
            "Hello,\n\nthe order of {run_date} from your standing order {standing_order} could not be placed."
            " Please check its payment and delivery details, or reply to this email and we will help."
        ),
        placeholders=(*_COMMON, "standing_order", "run_date"),
    )
)
INVOICE_OVERDUE = rule_register(
    RuleSpec(
        code="invoice_overdue",
        label="Call about an overdue invoice",
        description="A task when an invoice is still open some days past its due date.",
        default_days=7,
        days_label="days past the due date",
        default_subject="Invoice {invoice} is {days_overdue} days overdue",
        default_body=(
            "Hello,\n\ninvoice {invoice} was due on {due_date}; {amount_due} is still open. If it is already on its"
            " way, thank you, and please ignore this email; if something is holding it up, reply and tell us."
        ),
        placeholders=(*_COMMON, "invoice", "amount_due", "due_date", "days_overdue"),
    )
)
FIRST_ORDER = rule_register(
    RuleSpec(
        code="first_order",
        label="Welcome a new customer's first order",
        description="A welcome call after a customer's very first order.",
        default_days=1,
        days_label="days after the first order",
        default_subject="Welcome to {shop}",
        default_body=(
            "Hello,\n\nthank you for your first order, {order}. I look after your account: reply to this email"
            " whenever you need anything, or ask about a standing order that delivers by itself.\n\n{salesperson}"
        ),
        placeholders=(*_COMMON, "order", "order_total"),
    )
)
STANDING_ORDER_CANCELLED = rule_register(
    RuleSpec(
        code="standing_order_cancelled",
        label="Ask why a standing order was cancelled",
        description="A call to learn why and to win the customer back, after a standing order is cancelled.",
        default_days=0,
        days_label="days after the cancellation",
        default_subject="Your standing order {standing_order} is cancelled",
        default_body=(
            "Hello,\n\nyour standing order {standing_order} is cancelled; no further orders will be placed from it."
            " If it no longer suited you, reply and tell us what would: another schedule, other products."
        ),
        placeholders=(*_COMMON, "standing_order"),
    )
)


# --- what each rule reads and does ---


@dataclass(frozen=True)
class Act:
    """What a rule does for one event: its key, the account, the task's title and due moment, and the email."""

    key: str
    organization_id: int
    title: str
    due_at: dt.datetime
    values: dict
    # The customer's address, or a function finding it (asked only for an event acted on, by email).
    to: str | list[str] | Callable[[], list[str]] = ""
    priority: int = Task.Priority.NORMAL
    kind: str = Task.Kind.CALL
    order: Order | None = None
    invoice: Invoice | None = None


@dataclass(frozen=True)
class EventSource:
    spec: RuleSpec
    # The candidate rows, with their organization at hand; the walk adds the window and the order.
    rows: Callable[[], QuerySet]
    # The field holding the moment of the event (a DateField for `by_date` sources).
    field: str
    acts: Callable[[Sequence, RuleSetting], list[Act]]
    by_date: bool = False


def _zone() -> ZoneInfo:
    return ZoneInfo(shop_time_zone())


def _day_start(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(), tzinfo=_zone()).astimezone(dt.UTC)


def _person_email(user, organization) -> str:
    return (getattr(user, "email", "") or organization.email or "").strip()


def _values(organization, **more) -> dict:
    from django.conf import settings

    owner = organization.salesperson
    return {
        "customer": organization.name,
        "salesperson": (owner.get_full_name() or owner.username) if owner else "",
        "shop": settings.SHOP.get("name", ""),
        **more,
    }


def _delivered_rows() -> QuerySet:
    return OrderEvent.objects.filter(
        kind=OrderEvent.Kind.STATUS_CHANGED, data__to=OrderStatus.DELIVERED, order__status=OrderStatus.DELIVERED
    ).select_related("order__organization__salesperson", "order__placed_by")


def _delivered_acts(events: Sequence[OrderEvent], setting: RuleSetting) -> list[Act]:
    acts = []
    for event in events:
        order, organization = event.order, event.order.organization
        acts.append(
            Act(
                key=f"order:{order.pk}",
                organization_id=organization.pk,
                title=f"Follow up with {organization.name} on order {order.number_display}, delivered"
                f" {event.at.astimezone(_zone()):%b %d}",
                due_at=event.at + dt.timedelta(days=setting.days),
                values=_values(organization, order=order.number_display, order_total=str(order.total_money)),
                to=_person_email(order.placed_by, organization),
                order=order,
            )
        )
    return acts


def _failed_run_rows() -> QuerySet:
    return Run.objects.filter(status=Run.Status.FAILED, processed_at__isnull=False).select_related(
        "standing_order__organization__salesperson", "standing_order__created_by"
    )


def _standing_order_name(standing_order: StandingOrder) -> str:
    return standing_order.name or f"Standing order {standing_order.public_id[:6].upper()}"


def _failed_run_acts(runs: Sequence[Run], setting: RuleSetting) -> list[Act]:
    acts = []
    for run in runs:
        standing_order = run.standing_order
        organization = standing_order.organization
        name = _standing_order_name(standing_order)
        acts.append(
            Act(
                key=f"run:{run.pk}",
                organization_id=organization.pk,
                title=f"Call {organization.name}: the order of {run.scheduled_for:%b %d} from {name} failed",
                due_at=run.processed_at + dt.timedelta(days=setting.days),
                values=_values(organization, standing_order=name, run_date=f"{run.scheduled_for:%b %d, %Y}"),
                to=_person_email(standing_order.created_by, organization),
                priority=Task.Priority.HIGH,
            )
        )
    return acts


def _overdue_rows() -> QuerySet:
    return Invoice.objects.filter(kind=Invoice.Kind.INVOICE, status=Invoice.Status.OPEN).select_related(
        "organization__salesperson"
    )


def _overdue_acts(invoices: Sequence[Invoice], setting: RuleSetting) -> list[Act]:
    acts = []
    today = clock.today(_zone())
    for invoice in invoices:
        organization = invoice.organization
        act_day = invoice.due_date + dt.timedelta(days=setting.days)
        acts.append(
            Act(
                key=f"invoice:{invoice.pk}",
                organization_id=organization.pk,
                title=f"Call {organization.name} about invoice {invoice.number}, due {invoice.due_date:%b %d}"
                f" ({invoice.balance} open)",
                due_at=dt.datetime.combine(act_day, dt.time(9), tzinfo=_zone()).astimezone(dt.UTC),
                values=_values(
                    organization,
                    invoice=invoice.number,
                    amount_due=str(invoice.balance),
                    due_date=f"{invoice.due_date:%b %d, %Y}",
                    days_overdue=str(max((today - invoice.due_date).days, setting.days)),
                ),
                to=lambda organization=organization: billing_contact_emails(organization=organization),
                kind=Task.Kind.CALL,
                invoice=invoice,
            )
        )
    return acts


def _first_order_rows() -> QuerySet:
    return Order.objects.filter(placed_at__isnull=False).select_related("organization__salesperson", "placed_by")


def _first_order_acts(orders: Sequence[Order], setting: RuleSetting) -> list[Act]:
    # An order is the customer's first when no order of theirs was placed before it (one query for the batch).
    firsts = dict(
        Order.objects.filter(organization_id__in={o.organization_id for o in orders}, placed_at__isnull=False)
        .values("organization_id")
        .annotate(first=Min("placed_at"))
        .values_list("organization_id", "first")
    )
    acts, seen = [], set()
    for order in orders:
        organization = order.organization
        if order.placed_at != firsts.get(organization.pk) or organization.pk in seen:
            continue
        seen.add(organization.pk)
        acts.append(
            Act(
                key=f"organization:{organization.pk}",
                organization_id=organization.pk,
                title=f"Welcome {organization.name}: their first order, {order.number_display}",
                due_at=order.placed_at + dt.timedelta(days=setting.days),
                values=_values(organization, order=order.number_display, order_total=str(order.total_money)),
                to=_person_email(order.placed_by, organization),
                order=order,
            )
        )
    return acts


def _cancelled_rows() -> QuerySet:
    return Change.objects.filter(kind=StandingOrder.Status.CANCELLED).select_related(
        "standing_order__organization__salesperson", "standing_order__created_by"
    )


def _cancelled_acts(changes: Sequence[Change], setting: RuleSetting) -> list[Act]:
    acts = []
    for change in changes:
        standing_order = change.standing_order
        organization = standing_order.organization
        name = _standing_order_name(standing_order)
        reason = (change.data or {}).get("reason", "")
        acts.append(
            Act(
                key=f"standing_order:{standing_order.pk}",
                organization_id=organization.pk,
                title=f"Ask {organization.name} why they cancelled {name}" + (f" ({reason})" if reason else ""),
                due_at=change.created_at + dt.timedelta(days=setting.days),
                values=_values(organization, standing_order=name),
                to=_person_email(standing_order.created_by, organization),
            )
        )
    return acts


SOURCES: list[EventSource] = [
    EventSource(ORDER_DELIVERED, _delivered_rows, "created_at", _delivered_acts),
    EventSource(RUN_FAILED, _failed_run_rows, "processed_at", _failed_run_acts),
    EventSource(INVOICE_OVERDUE, _overdue_rows, "due_date", _overdue_acts, by_date=True),
    EventSource(FIRST_ORDER, _first_order_rows, "placed_at", _first_order_acts),
    EventSource(STANDING_ORDER_CANCELLED, _cancelled_rows, "created_at", _cancelled_acts),
]


# --- the walk ---


def _window_end(source: EventSource, *, now: dt.datetime, days: int):
    """The latest event moment the rule acts on at `now`: events of the shop's day `days` days ago and before (a
    date for `by_date` sources), never later than now."""
    last_day = now.astimezone(_zone()).date() - dt.timedelta(days=days)
    if source.by_date:
        return last_day
    return min(now, _day_start(last_day + dt.timedelta(days=1)))


def _as_position(source: EventSource, value) -> dt.datetime:
    return dt.datetime.combine(value, dt.time(), tzinfo=dt.UTC) if source.by_date else value


def _from_position(source: EventSource, position: dt.datetime):
    return position.date() if source.by_date else position


def _cursor_name(source: EventSource) -> str:
    return f"rule:{source.spec.code}"


def _act(source: EventSource, acts: list[Act], setting: RuleSetting) -> int:
    """Do what is owed for the events of a batch not acted on yet (one query finds them)."""
    code = source.spec.code
    done = set(
        Activity.objects.filter(source_key__in=[f"{code}:{a.key}"[:100] for a in acts]).values_list(
            "source_key", flat=True
        )
    )
    todo = [a for a in acts if f"{code}:{a.key}"[:100] not in done]
    organizations = Organization.objects.select_related("salesperson").in_bulk({a.organization_id for a in todo})
    made = 0
    for act in todo:
        organization = organizations[act.organization_id]
        to = (act.to() if callable(act.to) else act.to) if setting.emails else ""
        if to:
            result = email_queue_once(
                rule=code,
                key=act.key,
                organization=organization,
                to=to,
                subject=placeholders_fill(setting.email_subject, act.values),
                body=placeholders_fill(setting.email_body, act.values),
            )
        else:
            # A rule set to email a customer with no address on file makes the owner's task instead.
            result = task_create_once(
                rule=code,
                key=act.key,
                organization=organization,
                title=act.title,
                due_at=act.due_at,
                kind=act.kind,
                priority=act.priority,
                order=act.order,
                invoice=act.invoice,
            )
        made += result is not None
    return made


def source_pass(source: EventSource, *, setting: RuleSetting, now: dt.datetime) -> int:
    """Act on the source's events from its cursor (less the overlap) to the end of today's window; the number of
    tasks and emails made."""
    name = _cursor_name(source)
    cursor = SyncCursor.objects.filter(source=name).first()
    end = _window_end(source, now=now, days=setting.days)
    stored = _from_position(source, cursor.position) if cursor is not None else None
    if not setting.enabled:
        if stored is None or end > stored:
            SyncCursor.objects.update_or_create(source=name, defaults={"position": _as_position(source, end)})
        return 0
    if stored is None:
        start = end - (dt.timedelta(days=FIRST_LOOK_BACK.days) if source.by_date else FIRST_LOOK_BACK)
    else:
        start = stored - (dt.timedelta(days=3) if source.by_date else OVERLAP)
    field = source.field
    rows = source.rows().filter(**{f"{field}__gt": start, f"{field}__lte": end}).order_by(field, "pk")
    made, after, reached = 0, None, end
    for _ in range(MAX_BATCHES):
        page = rows
        if after is not None:
            page = rows.filter(Q(**{f"{field}__gt": after[0]}) | Q(**{field: after[0], "pk__gt": after[1]}))
        batch = list(page[:BATCH])
        if batch:
            after = (getattr(batch[-1], field), batch[-1].pk)
            made += _act(source, source.acts(batch, setting), setting)
        if len(batch) < BATCH:
            break
    else:
        reached = after[0]  # more to read: the next pass goes on from here
    if stored is None or reached > stored:
        SyncCursor.objects.update_or_create(source=name, defaults={"position": _as_position(source, reached)})
    return made


@rule_pass
def follow_up_rules_run(*, now: dt.datetime) -> int:
    """Every follow-up rule's pass; the tasks and emails they made."""
    settings = rule_settings()
    return sum(source_pass(source, setting=settings[source.spec.code], now=now) for source in SOURCES)


@rule_work_due
def follow_up_rules_work_due(moment: dt.datetime) -> dt.datetime | None:
    """The start of the next shop day after `moment` on which a rule has an event to act on (one query per switched
    on rule), for `autosales simulate` to stop there."""
    settings = rule_settings()
    candidates = []
    for source in SOURCES:
        setting = settings[source.spec.code]
        if not setting.enabled:
            continue
        end = _window_end(source, now=moment, days=setting.days)
        first = source.rows().filter(**{f"{source.field}__gt": end}).aggregate(first=Min(source.field))["first"]
        if first is None:
            continue
        day = first if source.by_date else first.astimezone(_zone()).date()
        candidates.append(_day_start(day + dt.timedelta(days=setting.days)))
    later = [c for c in candidates if c > moment]
    return min(later) if later else None
