"""Pass 3: claim due runs and place each through place_order, at most one order per run."""

from __future__ import annotations

import datetime as dt
import logging

from django.db import transaction

from autosales.checkout.placement import LineRequest, PaymentRequest, place_order
from autosales.core import clock
from autosales.core.errors import DomainError
from autosales.inventory.allocation import InsufficientStock
from autosales.inventory.selectors import available_by_variant
from autosales.jobs.claims import claim_batch, claim_release, worker_id
from autosales.orders.models import Order, OrderSource, OrderStatus
from autosales.payments.errors import PaymentUnavailable
from autosales.recurring.models import Run, StandingOrder
from autosales.recurring.scheduler.dunning import failed_try, failure_tell
from autosales.recurring.scheduler.result import PassResult, pass_event
from autosales.recurring.transitions import OPEN_RUN_STATUSES, run_transition

log = logging.getLogger(__name__)

# An answer lost on the way from the gateway: try again soon, with the same key.
GATEWAY_RETRY = dt.timedelta(minutes=15)
# Processing later than this after the due time marks the run late (the scheduler was not running).
LATE_AFTER = dt.timedelta(hours=1)
LEASE = dt.timedelta(minutes=5)
BATCH = 200


def standing_lines(standing_order: StandingOrder) -> list[LineRequest]:
    return [LineRequest(variant_id=line.variant_id, quantity=line.quantity) for line in standing_order.lines.all()]


def run_lines(run: Run) -> list[LineRequest]:
    if run.kind == Run.Kind.BACKORDER:
        return [LineRequest(variant_id=item["variant_id"], quantity=item["quantity"]) for item in run.lines]
    return standing_lines(run.standing_order)


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
            "standing_order__payment_method",
            "action_payment",
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


def _place_one(run: Run, *, now: dt.datetime, worker: str) -> dict:
    standing_order = run.standing_order
    late = run.late or now - run.due_at > LATE_AFTER
    if standing_order.status in (StandingOrder.Status.CANCELLED,):
        with transaction.atomic():
            run_transition(run=run, to=Run.Status.SKIPPED, fields={"skip_reason": "cancelled", "next_attempt_at": None})
            claim_release(instance=run, worker=worker)
        return pass_event(run, "skipped", reason="cancelled")
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
        return pass_event(
            run, "placed", order_number=existing.number, total=str(existing.total), currency=existing.currency
        )
    lines = run_lines(run)
    try:
        order = run_place_order(run, lines=lines)
    except InsufficientStock as exc:
        return _out_of_stock(run, exc=exc, lines=lines, now=now, worker=worker, late=late)
    except PaymentUnavailable as exc:
        claim_release(
            instance=run,
            worker=worker,
            updates={"last_error": exc.message, "next_attempt_at": now + GATEWAY_RETRY, "late": late},
        )
        return pass_event(run, "retry", reason=exc.message)
    except DomainError as exc:
        return failed_try(run, exc=exc, now=now, worker=worker, late=late)
    with transaction.atomic():
        run_transition(
            run=run,
            to=Run.Status.PLACED,
            fields={"order": order, "processed_at": now, "late": late, "last_error": "", "next_attempt_at": None},
        )
        claim_release(instance=run, worker=worker)
    return pass_event(run, "placed", order_number=order.number, total=str(order.total), currency=order.currency)


def run_place_order(run: Run, *, lines: list[LineRequest], suffix: str = ""):
    standing_order = run.standing_order
    return place_order(
        organization=standing_order.organization,
        user=standing_order.created_by,
        lines=lines,
        shipping_address=standing_order.shipping_address,
        shipping_method=standing_order.shipping_method,
        payment=run_payment(run),
        idempotency_key=run_idempotency_key(run, suffix=suffix),
        source=OrderSource.STANDING_ORDER,
        standing_order_run=run,
        customer_reference=(standing_order.name or "Standing order")[:100],
    )


def run_payment(run: Run) -> PaymentRequest:
    """How a run pays: the card on file charged off-session (or the payment the customer since confirmed), or the account."""
    standing_order = run.standing_order
    if standing_order.payment_kind == StandingOrder.PaymentKind.CARD and standing_order.payment_method_id:
        confirmed = run.action_payment.public_id if run.action_payment_id else ""
        return PaymentRequest.on_file(standing_order.payment_method, confirmed_payment=confirmed)
    return PaymentRequest(kind=standing_order.payment_kind, token=standing_order.payment_token)


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
                order = run_place_order(run, lines=now_lines, suffix="available")
            except InsufficientStock:
                order = None  # stock moved under us: treat as nothing available, retried below
            except DomainError as other:
                return failed_try(run, exc=other, now=now, worker=worker, late=late)
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
                    failure_tell(
                        run,
                        template="recurring/backordered",
                        title=f"Standing order partly backordered: {standing_order.organization}",
                        body=exc.message,
                        context={"reason": exc.message, "order": order},
                    )
                    claim_release(instance=run, worker=worker)
                return pass_event(
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
            event = pass_event(run, "out_of_stock", reason=exc.message, retry_at=next_try.isoformat())
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
            failure_tell(
                run,
                template="recurring/failed",
                title=f"Standing order not placed (no stock): {standing_order.organization}",
                body=exc.message,
                context={"reason": exc.message},
            )
            event = pass_event(run, "failed", reason=exc.message)
        claim_release(instance=run, worker=worker)
    return event
