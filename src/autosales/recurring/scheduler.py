"""The scheduler: turns standing orders into runs, sends advance notices, and places each due run once.

Three passes, each safe to run again, on any number of workers:
1. `runs_materialize`: for standing orders whose next occurrence comes within its notice window, create
   the run rows up to that window. Standing orders are locked a chunk at a time (SKIP LOCKED on PostgreSQL,
   so a second worker takes other rows) and their runs written with one insert per chunk; a run stays
   unique per standing order, date and kind (a database constraint). Occurrences missed while the system
   was down are created too, so none is lost.
2. `notices_send`: for runs inside their notice window, write the advance-notice email to the outbox in the
   same transaction that marks the notice sent.
3. `runs_place`: claim due runs (SKIP LOCKED on PostgreSQL, a lease everywhere) and place each through
   `place_order` with an idempotency key derived from the run, so a worker that dies mid-run and a
   retry produce one order and one charge. Out of stock, declined cards and accounts on hold follow the
   standing order's policy (backorder / retry) and the dunning schedule.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import defaultdict
from dataclasses import dataclass, field

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Q

from autosales.checkout.errors import CheckoutError
from autosales.checkout.placement import LineRequest, PaymentRequest, place_order
from autosales.checkout.pricing import quote
from autosales.core import clock
from autosales.core.errors import DomainError
from autosales.customers.models import Membership
from autosales.inventory.allocation import InsufficientStock
from autosales.inventory.selectors import available_by_variant
from autosales.jobs.claims import claim_batch, claim_release, worker_id
from autosales.notifications.services import email_queue, notification_create
from autosales.orders.models import Order, OrderSource, OrderStatus
from autosales.payments.errors import PaymentError, PaymentUnavailable
from autosales.recurring.models import Run, StandingOrder
from autosales.recurring.transitions import OPEN_RUN_STATUSES, run_transition, standing_order_transition

log = logging.getLogger(__name__)

# A declined card or an account on hold is tried again this many days after the due date, then the run fails.
DUNNING_DAYS = (1, 3, 5)
# An answer lost on the way from the gateway: try again soon, with the same key.
GATEWAY_RETRY = dt.timedelta(minutes=15)
# Processing later than this after the due time marks the run late (the scheduler was not running).
LATE_AFTER = dt.timedelta(hours=1)
LEASE = dt.timedelta(minutes=5)
BATCH = 200
# Standing orders materialized per transaction: their runs are written with one insert.
MATERIALIZE_CHUNK = 100

PAYMENT_FAILURES = {
    PaymentError.DECLINED,
    PaymentError.INSUFFICIENT_FUNDS,
    PaymentError.INVALID_TOKEN,
    CheckoutError.CARD_TOKEN_REQUIRED,
    CheckoutError.ACCOUNT_NO_TERMS,
    CheckoutError.ACCOUNT_CREDIT_HOLD,
    CheckoutError.ACCOUNT_CREDIT_LIMIT,
}


@dataclass
class PassResult:
    items: int = 0
    failures: int = 0
    events: list[dict] = field(default_factory=list)


# 1. Materialize -------------------------------------------------------------------------------------


def runs_materialize(*, now: dt.datetime | None = None, limit: int = 1000) -> PassResult:
    """Creates the run rows of every occurrence that is due or inside its notice window; returns how many."""
    now = now or clock.now()
    result = PassResult()
    handled = 0
    while handled < limit:
        size = min(MATERIALIZE_CHUNK, limit - handled)
        with transaction.atomic():
            chunk = _due_for_materialize(now=now, size=size)
            _materialize_chunk(chunk, now=now, result=result)
        handled += len(chunk)
        if len(chunk) < size:
            break  # nothing more is due (or the rest is locked by another worker, who does it)
    return result


def _due_for_materialize(*, now: dt.datetime, size: int) -> list[StandingOrder]:
    """Up to `size` standing orders due for materializing, locked for this transaction.

    On PostgreSQL rows another worker holds are passed over (SKIP LOCKED), so two workers split the work
    instead of queueing on the same rows; on SQLite the IMMEDIATE transaction is the only writer anyway.
    """
    due = StandingOrder.objects.filter(
        status__in=[StandingOrder.Status.ACTIVE, StandingOrder.Status.PAUSED], next_materialize_at__lte=now
    ).order_by("next_materialize_at", "pk")
    if connection.features.has_select_for_update_skip_locked:
        due = due.select_for_update(skip_locked=True, of=("self",))
    else:
        due = due.select_for_update()
    return list(due[:size])


def _materialize_chunk(standing_orders: list[StandingOrder], *, now: dt.datetime, result: PassResult) -> None:
    """Writes the runs of locked standing orders with one query per table, not per row."""
    if not standing_orders:
        return
    plans = [(standing_order, _materialize_plan(standing_order, now=now)) for standing_order in standing_orders]
    days = {day for _, plan in plans for day, _ in plan.runs}
    # Dates the customer skipped ahead of time already have their row: leave it as it is.
    existing = set(
        Run.objects.filter(
            standing_order__in=standing_orders, kind=Run.Kind.OCCURRENCE, scheduled_for__in=days
        ).values_list("standing_order_id", "scheduled_for")
    )
    created_at = clock.now()
    rows = [
        Run(
            standing_order=standing_order,
            scheduled_for=day,
            due_at=due_at,
            status=Run.Status.SKIPPED if plan.paused(day) else Run.Status.SCHEDULED,
            skip_reason="paused" if plan.paused(day) else "",
            next_attempt_at=None if plan.paused(day) else due_at,
            created_at=created_at,
            updated_at=created_at,
        )
        for standing_order, plan in plans
        for day, due_at in plan.runs
        if (standing_order.pk, day) not in existing
    ]
    Run.objects.bulk_create(rows)
    result.items += len(rows)
    # One update per distinct new bookmark: standing orders due together usually move to the same one.
    bookmarks: dict[tuple, list[int]] = defaultdict(list)
    for standing_order, plan in plans:
        standing_order.materialized_through = plan.through
        standing_order.next_materialize_at = plan.next_materialize_at
        standing_order.updated_at = created_at
        bookmarks[(plan.through, plan.next_materialize_at)].append(standing_order.pk)
    for (through, next_at), pks in bookmarks.items():
        StandingOrder.objects.filter(pk__in=pks).update(
            materialized_through=through, next_materialize_at=next_at, updated_at=created_at
        )
    for standing_order, plan in plans:
        if plan.next_materialize_at is None:
            standing_order_transition(
                standing_order=standing_order, to=StandingOrder.Status.ENDED, data={"reason": "schedule complete"}
            )
            result.events.append({"type": "ended", "standing_order": standing_order.public_id})
        if (
            standing_order.status == StandingOrder.Status.PAUSED
            and standing_order.paused_until is not None
            and standing_order.paused_until <= clock.today(standing_order.timezone)
        ):
            standing_order.paused_until = None
            standing_order_transition(
                standing_order=standing_order, to=StandingOrder.Status.ACTIVE, data={"reason": "pause ended"}
            )


@dataclass(frozen=True)
class _MaterializePlan:
    runs: list[tuple[dt.date, dt.datetime]]  # (occurrence date, due at) up to the notice window
    through: dt.date | None  # the new bookmark
    next_materialize_at: dt.datetime | None  # None: the schedule is complete
    status: str
    paused_until: dt.date | None

    def paused(self, day: dt.date) -> bool:
        """Whether the occurrence on `day` falls inside the pause (its run is created skipped)."""
        return self.status == StandingOrder.Status.PAUSED and (self.paused_until is None or day < self.paused_until)


def _materialize_plan(standing_order: StandingOrder, *, now: dt.datetime) -> _MaterializePlan:
    """The occurrences of one standing order that need their run now, and where its bookmark moves (no writes)."""
    schedule = standing_order.schedule
    horizon = now + dt.timedelta(days=standing_order.notice_days)  # occurrences due up to here get their rows
    after = standing_order.materialized_through or (standing_order.start_date - dt.timedelta(days=1))
    runs = []
    last = after
    next_materialize_at = None  # stays None when the schedule has no occurrence after `last`
    while upcoming := schedule.next_dates(after=last, count=1):
        due_at = schedule.due_at(upcoming[0])
        if due_at > horizon:
            next_materialize_at = due_at - dt.timedelta(days=standing_order.notice_days)
            break
        last = upcoming[0]
        runs.append((last, due_at))
    return _MaterializePlan(
        runs=runs,
        through=last,
        next_materialize_at=next_materialize_at,
        status=standing_order.status,
        paused_until=standing_order.paused_until,
    )


# 2. Advance notices ---------------------------------------------------------------------------------


def _recipients(standing_order: StandingOrder) -> list[str]:
    emails = [standing_order.created_by.email] if standing_order.created_by.email else []
    if not emails:
        emails = list(
            Membership.objects.filter(organization=standing_order.organization, user__is_active=True)
            .exclude(user__email="")
            .values_list("user__email", flat=True)[:1]
        )
    if not emails and standing_order.organization.email:
        emails = [standing_order.organization.email]
    return emails


def _link(path: str) -> str:
    return settings.SHOP["base_url"].rstrip("/") + path


def _estimate(standing_order: StandingOrder, lines: list[LineRequest]):
    try:
        return quote(
            organization=standing_order.organization,
            lines=lines,
            shipping_method=standing_order.shipping_method,
            shipping_address=standing_order.shipping_address,
        )
    except DomainError:
        return None


def notices_send(*, now: dt.datetime | None = None, limit: int = 500) -> PassResult:
    """Writes one advance-notice email per scheduled run inside its standing order's notice window."""
    now = now or clock.now()
    result = PassResult()
    candidates = (
        Run.objects.filter(
            status=Run.Status.SCHEDULED,
            kind=Run.Kind.OCCURRENCE,
            notice_sent_at__isnull=True,
            due_at__gt=now,
            standing_order__status=StandingOrder.Status.ACTIVE,
            standing_order__notice_days__gt=0,
        )
        .select_related("standing_order")
        .order_by("due_at")[:limit]
    )
    for run in list(candidates):
        if run.due_at - dt.timedelta(days=run.standing_order.notice_days) > now:
            continue
        with transaction.atomic():
            locked = (
                Run.objects.select_for_update(of=("self",))
                .select_related(
                    "standing_order__organization",
                    "standing_order__created_by",
                    "standing_order__shipping_address",
                    "standing_order__shipping_method",
                )
                .filter(pk=run.pk, notice_sent_at__isnull=True, status=Run.Status.SCHEDULED)
                .first()
            )
            if locked is None:
                continue
            standing_order = locked.standing_order
            recipients = _recipients(standing_order)
            if recipients:
                lines = _standing_lines(standing_order)
                estimate = _estimate(standing_order, lines)
                email_queue(
                    to=recipients,
                    template="recurring/notice",
                    context={
                        "standing_order": standing_order,
                        "run": locked,
                        "date": locked.scheduled_for,
                        "quote": estimate,
                        "manage_url": _link(f"/standing-orders/{standing_order.public_id}/"),
                    },
                    related=locked,
                    message_id=f"notice-{standing_order.public_id}-{locked.scheduled_for:%Y%m%d}",
                )
            locked.notice_sent_at = now
            locked.save(update_fields=["notice_sent_at"])
            result.items += 1
            result.events.append(
                {
                    "type": "notice",
                    "standing_order": standing_order.public_id,
                    "scheduled_for": locked.scheduled_for.isoformat(),
                    "to": recipients,
                }
            )
    return result


# 3. Place due runs ----------------------------------------------------------------------------------


def _standing_lines(standing_order: StandingOrder) -> list[LineRequest]:
    return [LineRequest(variant_id=line.variant_id, quantity=line.quantity) for line in standing_order.lines.all()]


def _run_lines(run: Run) -> list[LineRequest]:
    if run.kind == Run.Kind.BACKORDER:
        return [LineRequest(variant_id=item["variant_id"], quantity=item["quantity"]) for item in run.lines]
    return _standing_lines(run.standing_order)


def run_idempotency_key(run: Run, *, suffix: str = "") -> str:
    """The checkout key of this run's current try: the same after a crash, a new one after a definitive failure."""
    key = f"standing-order:{run.standing_order.public_id}:{run.scheduled_for:%Y-%m-%d}:{run.kind}:{run.failures}"
    return f"{key}:{suffix}" if suffix else key


def runs_place(*, now: dt.datetime | None = None, limit: int = BATCH, worker: str | None = None) -> PassResult:
    """Claims due runs and places each through place_order: at most one order per run, whoever runs this."""
    now = now or clock.now()
    worker = worker or worker_id()
    result = PassResult()
    claimed = claim_batch(
        queryset=Run.objects.filter(status__in=OPEN_RUN_STATUSES, next_attempt_at__lte=now),
        worker=worker,
        limit=limit,
        lease=LEASE,
        order_by=("next_attempt_at", "pk"),
    )
    for run in claimed:
        run = Run.objects.select_related(
            "standing_order__organization",
            "standing_order__created_by",
            "standing_order__shipping_address",
            "standing_order__shipping_method",
        ).get(pk=run.pk)
        try:
            event = _place_one(run, now=now, worker=worker)
        except Exception as exc:
            log.exception("standing order run %s failed unexpectedly", run.pk)
            claim_release(
                instance=run,
                worker=worker,
                updates={"last_error": f"{type(exc).__name__}: {exc}"[:2000], "next_attempt_at": now + GATEWAY_RETRY},
            )
            result.failures += 1
            continue
        result.items += 1
        if event.get("type") != "placed":
            result.failures += 1
        result.events.append(event)
    return result


def _event(run: Run, kind: str, **data) -> dict:
    return {
        "type": kind,
        "standing_order": run.standing_order.public_id,
        "scheduled_for": run.scheduled_for.isoformat(),
        "run_kind": run.kind,
        "late": run.late,
        **data,
    }


def _place_one(run: Run, *, now: dt.datetime, worker: str) -> dict:
    standing_order = run.standing_order
    late = run.late or now - run.due_at > LATE_AFTER
    if standing_order.status in (StandingOrder.Status.CANCELLED,):
        with transaction.atomic():
            run_transition(run=run, to=Run.Status.SKIPPED, fields={"skip_reason": "cancelled", "next_attempt_at": None})
            claim_release(instance=run, worker=worker)
        return _event(run, "skipped", reason="cancelled")
    existing = Order.objects.filter(standing_order_run_id=run.pk).exclude(status=OrderStatus.PENDING_PAYMENT).first()
    if existing is not None:
        # A worker placed the order and died before it could say so: record it, never order again.
        with transaction.atomic():
            run_transition(
                run=run,
                to=Run.Status.PLACED,
                fields={"order": existing, "processed_at": now, "late": late, "next_attempt_at": None},
            )
            claim_release(instance=run, worker=worker)
        return _event(
            run, "placed", order_number=existing.number, total=str(existing.total), currency=existing.currency
        )
    lines = _run_lines(run)
    try:
        order = _place(run, lines=lines)
    except InsufficientStock as exc:
        return _out_of_stock(run, exc=exc, lines=lines, now=now, worker=worker, late=late)
    except PaymentUnavailable as exc:
        claim_release(
            instance=run,
            worker=worker,
            updates={"last_error": exc.message, "next_attempt_at": now + GATEWAY_RETRY, "late": late},
        )
        return _event(run, "retry", reason=exc.message)
    except DomainError as exc:
        return _failed_try(run, exc=exc, now=now, worker=worker, late=late)
    with transaction.atomic():
        run_transition(
            run=run,
            to=Run.Status.PLACED,
            fields={"order": order, "processed_at": now, "late": late, "last_error": "", "next_attempt_at": None},
        )
        claim_release(instance=run, worker=worker)
    return _event(run, "placed", order_number=order.number, total=str(order.total), currency=order.currency)


def _place(run: Run, *, lines: list[LineRequest], suffix: str = ""):
    standing_order = run.standing_order
    return place_order(
        organization=standing_order.organization,
        user=standing_order.created_by,
        lines=lines,
        shipping_address=standing_order.shipping_address,
        shipping_method=standing_order.shipping_method,
        payment=PaymentRequest(kind=standing_order.payment_kind, token=standing_order.payment_token),
        idempotency_key=run_idempotency_key(run, suffix=suffix),
        source=OrderSource.STANDING_ORDER,
        standing_order_run=run,
        customer_reference=(standing_order.name or "Standing order")[:100],
    )


def _staff_to_alert(standing_order: StandingOrder):
    from django.contrib.auth import get_user_model

    salesperson = standing_order.organization.salesperson
    if salesperson is not None and salesperson.is_active:
        return [salesperson]
    return list(get_user_model().objects.filter(is_active=True, groups__name="manager").distinct()[:5])


def _tell(run: Run, *, template: str, title: str, body: str, context: dict) -> None:
    """The customer's email and the staff alert that a failed try owes, in the caller's transaction."""
    standing_order = run.standing_order
    recipients = _recipients(standing_order)
    if recipients:
        email_queue(
            to=recipients,
            template=template,
            context={
                "standing_order": standing_order,
                "run": run,
                "date": run.scheduled_for,
                "manage_url": _link(f"/standing-orders/{standing_order.public_id}/"),
                **context,
            },
            related=run,
            message_id=f"{template.replace('/', '-')}-{run.pk}-{run.failures}",
        )
    for user in _staff_to_alert(standing_order):
        notification_create(
            user=user,
            title=title,
            body=body,
            link=f"/backoffice/standing-orders/{standing_order.public_id}/",
        )


def _failed_try(run: Run, *, exc: DomainError, now: dt.datetime, worker: str, late: bool) -> dict:
    """A refusal of this try: payment problems follow the dunning schedule; anything else fails the run."""
    standing_order = run.standing_order
    failures = run.failures + 1
    dunning = exc.code in PAYMENT_FAILURES and failures <= len(DUNNING_DAYS)
    with transaction.atomic():
        if dunning:
            retry_at = max(run.due_at + dt.timedelta(days=DUNNING_DAYS[failures - 1]), now)
            run_transition(
                run=run,
                to=Run.Status.RETRYING,
                fields={
                    "failures": failures,
                    "failure_code": exc.code,
                    "last_error": exc.message,
                    "next_attempt_at": retry_at,
                    "late": late,
                },
            )
            _tell(
                run,
                template="recurring/payment_failed",
                title=f"Standing order payment failed: {standing_order.organization}",
                body=f"{exc.message} Next try {retry_at:%Y-%m-%d}.",
                context={"reason": exc.message, "retry_at": retry_at},
            )
            event = _event(run, "payment_failed", reason=exc.message, retry_at=retry_at.isoformat())
        else:
            run_transition(
                run=run,
                to=Run.Status.FAILED,
                fields={
                    "failures": failures,
                    "failure_code": exc.code,
                    "last_error": exc.message,
                    "next_attempt_at": None,
                    "processed_at": now,
                    "late": late,
                },
            )
            _tell(
                run,
                template="recurring/failed",
                title=f"Standing order not placed: {standing_order.organization}",
                body=f"The order for {run.scheduled_for:%Y-%m-%d} was not placed: {exc.message}",
                context={"reason": exc.message},
            )
            event = _event(run, "failed", reason=exc.message)
        claim_release(instance=run, worker=worker)
    return event


def _out_of_stock(
    run: Run, *, exc: InsufficientStock, lines: list[LineRequest], now: dt.datetime, worker: str, late: bool
) -> dict:
    standing_order = run.standing_order
    backorder = standing_order.stock_policy == StandingOrder.StockPolicy.BACKORDER and run.kind == Run.Kind.OCCURRENCE
    if backorder:
        available = available_by_variant(variant_ids=[line.variant_id for line in lines])
        now_lines = [
            LineRequest(variant_id=line.variant_id, quantity=min(line.quantity, available.get(line.variant_id, 0)))
            for line in lines
        ]
        now_lines = [line for line in now_lines if line.quantity > 0]
        rest = [
            {"variant_id": line.variant_id, "quantity": line.quantity - available.get(line.variant_id, 0)}
            for line in lines
            if line.quantity > available.get(line.variant_id, 0)
        ]
        if now_lines:
            try:
                order = _place(run, lines=now_lines, suffix="available")
            except InsufficientStock:
                order = None  # stock moved under us: treat as nothing available, retried below
            except DomainError as other:
                return _failed_try(run, exc=other, now=now, worker=worker, late=late)
            if order is not None:
                with transaction.atomic():
                    run_transition(
                        run=run,
                        to=Run.Status.PLACED,
                        fields={
                            "order": order,
                            "processed_at": now,
                            "late": late,
                            "backordered": rest,
                            "last_error": exc.message,
                            "next_attempt_at": None,
                        },
                    )
                    Run.objects.get_or_create(
                        standing_order=standing_order,
                        scheduled_for=run.scheduled_for,
                        kind=Run.Kind.BACKORDER,
                        defaults={
                            "due_at": run.due_at,
                            "status": Run.Status.RETRYING,
                            "lines": rest,
                            "next_attempt_at": now + dt.timedelta(days=1),
                        },
                    )
                    _tell(
                        run,
                        template="recurring/backordered",
                        title=f"Standing order partly backordered: {standing_order.organization}",
                        body=exc.message,
                        context={"reason": exc.message, "order": order},
                    )
                    claim_release(instance=run, worker=worker)
                return _event(
                    run,
                    "placed",
                    order_number=order.number,
                    total=str(order.total),
                    currency=order.currency,
                    backordered=rest,
                )
    # Retry daily (the retry policy, a backorder run, or nothing available at all) until the retry days run out.
    give_up_at = run.due_at + dt.timedelta(days=standing_order.stock_retry_days)
    next_try = now + dt.timedelta(days=1)
    with transaction.atomic():
        if next_try <= give_up_at:
            run_transition(
                run=run,
                to=Run.Status.RETRYING,
                fields={"failure_code": exc.code, "last_error": exc.message, "next_attempt_at": next_try, "late": late},
            )
            event = _event(run, "out_of_stock", reason=exc.message, retry_at=next_try.isoformat())
        else:
            run_transition(
                run=run,
                to=Run.Status.FAILED,
                fields={
                    "failures": run.failures + 1,
                    "failure_code": exc.code,
                    "last_error": exc.message,
                    "next_attempt_at": None,
                    "processed_at": now,
                    "late": late,
                },
            )
            _tell(
                run,
                template="recurring/failed",
                title=f"Standing order not placed (no stock): {standing_order.organization}",
                body=exc.message,
                context={"reason": exc.message},
            )
            event = _event(run, "failed", reason=exc.message)
        claim_release(instance=run, worker=worker)
    return event


def scheduler_tick(*, now: dt.datetime | None = None) -> PassResult:
    """One full pass: materialize, send notices, place due runs (what the job and `simulate` call)."""
    now = now or clock.now()
    total = PassResult()
    for step in (runs_materialize, notices_send, runs_place):
        part = step(now=now)
        total.items += part.items
        total.failures += part.failures
        total.events.extend(part.events)
    return total


def runs_due_count(*, now: dt.datetime | None = None) -> int:
    now = now or clock.now()
    return Run.objects.filter(Q(status__in=OPEN_RUN_STATUSES), next_attempt_at__lte=now).count()
