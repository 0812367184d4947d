"""Pass 3: claim due runs and place each through place_order, at most one order per run.

Each run is handled as a background step: the batch is claimed with a lease, renewed for the rest of the batch
once half of it has gone (a run whose lease ran out and that another worker took is left to that worker), and
every outcome is written only while this worker still holds the claim and the run's stored status allows it:
by `run_transition`, or for the runs the batch placed, together at its end (`_placed_record`).
A try sends to checkout what its `request` snapshot holds (taken when the try starts) under a key made from the
run and its `try_number`, so a crash, a lost gateway answer or an edit of the standing order between two sends
of one try never orders or charges twice. What a failed try leads to is the retry policy's (`retry.py`).
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from dataclasses import dataclass, field

from django.conf import settings
from django.db import transaction

from autosales.checkout.placement import ADDRESS_FIELDS, LineRequest, PaymentRequest, place_order
from autosales.checkout.pricing import QuoteMemo, quote_memos
from autosales.core import clock
from autosales.core.errors import DomainError
from autosales.customers.models import Address
from autosales.customers.selectors import ordering_contacts_prefetch
from autosales.jobs.claims import (
    BatchPace,
    claim_batch,
    claim_release,
    claims_extend,
    claims_write_each,
    worker_id,
)
from autosales.orders.models import Order, OrderSource, OrderStatus, PaymentKind
from autosales.payments.models import PaymentMethodOnFile
from autosales.pricing.shipping import ShippingMethod
from autosales.recurring.errors import RecurringError, RunClaimLost
from autosales.recurring.models import Run, StandingOrder
from autosales.recurring.scheduler.dunning import failure_tell, try_failed
from autosales.recurring.scheduler.result import PassResult, pass_event
from autosales.recurring.scheduler.retry import UNEXPECTED_RETRY, run_checkout_lease
from autosales.recurring.services import PAUSED_SKIP_REASON
from autosales.recurring.transitions import OPEN_RUN_STATUSES, RUN_MOVES, run_transition

log = logging.getLogger(__name__)

# Processing later than this after the due time marks the run late (the scheduler was not running).
LATE_AFTER = dt.timedelta(hours=1)
# Runs claimed at once, at most: the batch is sized to the lease (`BatchPace`), so the last run is started well
# inside it and a worker that dies holds back at most this many runs, for one lease.
BATCH = 20
_pace = BatchPace()


def run_lease() -> dt.timedelta:
    """A worker's hold on a claimed batch of runs (JOBS_LEASE_SECONDS), renewed once half of it has gone: it must be
    far longer than one checkout takes (checkout's own lease is 60 seconds, a twin waits 15)."""
    return dt.timedelta(seconds=settings.JOBS_LEASE_SECONDS)


def standing_lines(standing_order: StandingOrder) -> list[LineRequest]:
    return [LineRequest(variant_id=line.variant_id, quantity=line.quantity) for line in standing_order.lines.all()]


def run_lines(run: Run) -> list[LineRequest]:
    if run.kind == Run.Kind.BACKORDER:
        return [LineRequest(variant_id=item["variant_id"], quantity=item["quantity"]) for item in run.lines]
    return standing_lines(run.standing_order)


def run_idempotency_key(run: Run) -> str:
    """The checkout key of this run's current try: the same after a crash or a lost answer, new for a new try."""
    return f"standing-order:{run.standing_order.public_id}:{run.scheduled_for:%Y-%m-%d}:{run.kind}:{run.try_number}"


def run_payment_request(run: Run) -> dict:
    """How a try pays, as stored with the try's request: the card on file charged off-session (with the payment
    the customer has since confirmed with their bank, if any), a gateway token, or the account."""
    standing_order = run.standing_order
    if standing_order.payment_kind == StandingOrder.PaymentKind.CARD and standing_order.payment_method_id:
        method = standing_order.payment_method
        confirmed = run.action_payment.public_id if run.action_payment_id else ""
        return {"kind": PaymentKind.CARD, "token": method.method_reference, "method": method.pk, "confirmed": confirmed}
    return {"kind": standing_order.payment_kind, "token": standing_order.payment_token}


def _payment_of(stored: dict, *, standing_order: StandingOrder | None = None) -> PaymentRequest:
    if stored.get("method"):
        method = standing_order.payment_method if standing_order is not None else None
        if method is None or method.pk != stored["method"]:
            method = PaymentMethodOnFile.objects.get(pk=stored["method"])
        return PaymentRequest.on_file(method, confirmed_payment=stored.get("confirmed", ""))
    return PaymentRequest(kind=stored["kind"], token=stored.get("token", ""))


@dataclass
class _Batch:
    """A claimed batch as its runs are placed: the lease's start and the runs this worker still holds."""

    worker: str
    claimed_at: dt.datetime
    held: set[int]
    # Orders found for a run (a worker placed it and died before recording it), by run.
    orders: dict[int, Order]
    # Why a run's new try could not even be written down (no delivery address), by run.
    refusals: dict[int, DomainError]
    # What the batch's tries are priced with (read once for the batch), by organization.
    memos: dict[int, QuoteMemo] = field(default_factory=dict)
    # Runs whose order is placed, to be recorded together (`_placed_record`), with their events.
    placed: list[tuple[Run, Order, bool]] = field(default_factory=list)


def runs_place(*, now: dt.datetime | None = None, limit: int | None = None, worker: str | None = None) -> PassResult:
    """Claims due runs and places each through place_order: at most one order per run, whoever runs this.

    On top of each run's `place_order`, a batch costs a fixed number of statements (the claim, its standing
    orders, their lines, their organizations' ordering contacts, orders left by a crashed worker, the requests of
    new tries, what the tries are priced with, the outcomes of the runs it placed, which hand their claims back);
    a run that fails, is skipped or backordered writes its own outcome. What the batch read once is not read
    again by each `place_order`: the variants, prices and tax rates, and who gets the confirmations.
    The lease is renewed for the rest of the batch only when half of it has gone.
    """
    now = now or clock.now()
    worker = worker or worker_id()
    result = PassResult()
    lease = run_lease()
    started = time.monotonic()
    claimed = claim_batch(
        queryset=Run.objects.filter(status__in=OPEN_RUN_STATUSES, next_attempt_at__lte=now),
        worker=worker,
        limit=limit or _pace.batch_size(lease=lease, cap=BATCH),
        lease=lease,
        order_by=("next_attempt_at", "pk"),
    )
    if not claimed:
        return result
    batch = _batch_prepare(claimed, worker=worker, now=now)
    for position, run in enumerate(claimed):
        _lease_keep(batch, rest=claimed[position:], now=now, result=result)
        if run.pk not in batch.held:
            continue  # its lease ran out and another worker took it: it is theirs
        try:
            event = _place_one(run, now=now, worker=worker, batch=batch)
        except RunClaimLost:
            continue  # another worker took the run over; it finds whatever this one did
        except Exception as exc:
            _unexpected(run, exc=exc, now=now, worker=worker, result=result)
            continue
        if event is None:
            continue  # placed: recorded with the others of the batch
        result.items += 1
        if event.get("type") != "placed":
            result.failures += 1
        result.events.append(event)
    _placed_record(batch, now=now, result=result)
    _pace.observe(items=len(claimed), seconds=time.monotonic() - started)
    return result


def _unexpected(run: Run, *, exc: Exception, now: dt.datetime, worker: str, result: PassResult) -> None:
    log.error("standing order run %s failed unexpectedly", run.pk, exc_info=exc)
    claim_release(
        instance=run,
        worker=worker,
        updates={"last_error": f"{type(exc).__name__}: {exc}"[:2000], "next_attempt_at": now + UNEXPECTED_RETRY},
    )
    result.failures += 1


def _placed_record(batch: _Batch, *, now: dt.datetime, result: PassResult) -> None:
    """Records the batch's placed runs (each with its order) with one statement, each only if this worker still
    holds it and its stored status allows the move; a run that was not written goes through `run_transition` to
    find out why. Until then a crash leaves the order to be found by the next worker (see `_place_one`)."""
    placed, batch.placed = batch.placed, []
    if not placed:
        return
    moves_from = [status for status, moves in RUN_MOVES.items() if Run.Status.PLACED in moves]
    common = {
        "status": Run.Status.PLACED,
        "backordered": [],
        "last_error": "",
        "next_attempt_at": None,
        "request": None,
        "retrying_since": None,
        "claimed_by": "",
        "claimed_until": None,
        "updated_at": clock.now(),
    }
    written = claims_write_each(
        model=Run,
        worker=batch.worker,
        fields=["order", "processed_at", "late"],
        rows={run.pk: (order.pk, now, late) for run, order, late in placed},
        common=common,
        where_in={"status": moves_from},
    )
    done = {run.pk for run, _, _ in placed}
    if written != len(placed):
        orders = {run.pk: order.pk for run, order, _ in placed}
        found = Run.objects.filter(pk__in=done, status=Run.Status.PLACED).values_list("pk", "order_id")
        done = {pk for pk, order_id in found if orders[pk] == order_id}
    for run, order, late in placed:
        if run.pk in done:
            for name, value in {**common, "order": order, "processed_at": now, "late": late}.items():
                setattr(run, name, value)
            event = _placed_event(run, order=order)
        else:
            try:
                event = _placed(run, order=order, now=now, worker=batch.worker, late=late)
            except RunClaimLost:
                continue
            except Exception as exc:
                _unexpected(run, exc=exc, now=now, worker=batch.worker, result=result)
                continue
        result.items += 1
        result.events.append(event)


def _batch_prepare(runs: list[Run], *, worker: str, now: dt.datetime) -> _Batch:
    """Loads what the batch's runs need with a fixed number of queries and writes the requests of their new tries."""
    claimed_at = clock.now()
    standing_orders = (
        StandingOrder.objects.filter(pk__in={run.standing_order_id for run in runs})
        .select_related("organization", "created_by", "shipping_address", "shipping_method", "payment_method")
        .prefetch_related("lines", ordering_contacts_prefetch(through="organization"))
        .in_bulk()
    )
    gone = set()
    for run in runs:
        if run.standing_order_id in standing_orders:
            run.standing_order = standing_orders[run.standing_order_id]
        else:
            gone.add(run.pk)  # deleted since the claim, with its runs
    runs = [run for run in runs if run.pk not in gone]
    orders: dict[int, Order] = {}
    found = Order.objects.filter(standing_order_run_id__in=[run.pk for run in runs]).exclude(
        status=OrderStatus.PENDING_PAYMENT
    )
    for order in found.order_by("pk"):
        orders.setdefault(order.standing_order_run_id, order)
    batch = _Batch(worker=worker, claimed_at=claimed_at, held={run.pk for run in runs}, orders=orders, refusals={})
    starting = []
    for run in runs:
        if run.request or run.pk in orders or _skip_reason(run) is not None:
            continue
        try:
            run.request = _request_new(run)
        except DomainError as exc:
            batch.refusals[run.pk] = exc
            continue
        starting.append(run)
    if starting:
        # Stored before anything is sent (one statement for the batch), so a crash and a retry send the same.
        saved = claims_write_each(
            model=Run, worker=worker, fields=["request"], rows={run.pk: (run.request,) for run in starting}
        )
        if saved != len(starting):
            batch.held = set(Run.objects.filter(pk__in=batch.held, claimed_by=worker).values_list("pk", flat=True))
    sending = [run for run in runs if run.request and run.pk in batch.held and run.pk not in orders]
    if sending:
        # Priced once for the batch, as it starts (three queries), instead of by each run's place_order.
        batch.memos = quote_memos(
            organization_ids={run.standing_order.organization_id for run in sending},
            variant_ids={variant_id for run in sending for variant_id, _ in run.request["lines"]},
            destinations={(run.request["address"]["country"], run.request["address"]["region"]) for run in sending},
        )
    return batch


def _lease_keep(batch: _Batch, *, rest: list[Run], now: dt.datetime, result: PassResult) -> None:
    """Once half the lease has gone, records the runs placed so far and renews the lease of those left in the
    batch (one statement each); drops those lost."""
    lease = run_lease()
    if clock.now() - batch.claimed_at < lease / 2:
        return
    _placed_record(batch, now=now, result=result)
    pks = [run.pk for run in rest if run.pk in batch.held]
    batch.held = (batch.held - set(pks)) | claims_extend(model=Run, pks=pks, worker=batch.worker, lease=lease)
    batch.claimed_at = clock.now()


def _skip_reason(run: Run) -> str | None:
    """Why the run is skipped instead of placed (its standing order is cancelled or paused on its date), or None."""
    standing_order = run.standing_order
    if standing_order.status == StandingOrder.Status.CANCELLED:
        return "cancelled"
    if standing_order.paused_on(run.scheduled_for):
        return PAUSED_SKIP_REASON
    return None


def _place_one(run: Run, *, now: dt.datetime, worker: str, batch: _Batch) -> dict | None:
    """Places one run, or records why not; None when its order is placed and waits to be recorded with the batch."""
    late = run.late or now - run.due_at > LATE_AFTER
    existing = batch.orders.get(run.pk)
    if existing is not None:
        # A worker placed the order and died before it could say so: record it, never order again.
        return _placed(run, order=existing, now=now, worker=worker, late=late)
    reason = _skip_reason(run)
    if reason is not None:
        # Nothing is placed while paused, not even a run waiting to retry; a resume brings back dates still ahead.
        fields = {"skip_reason": reason, "next_attempt_at": None, "request": None, "retrying_since": None}
        run_transition(run=run, to=Run.Status.SKIPPED, fields=fields, worker=worker)
        return pass_event(run, "skipped", reason=reason)
    request = run.request
    try:
        if run.pk in batch.refusals:
            raise batch.refusals[run.pk]
        order = run_place_order(run, request=request, memo=batch.memos.get(run.standing_order.organization_id))
    except RunClaimLost:
        raise
    except DomainError as exc:
        return try_failed(run, exc=exc, now=now, worker=worker, late=late)
    if _backordered(order):
        return _placed(run, order=order, now=now, worker=worker, late=late)  # with the backorder's email
    batch.placed.append((run, order, late))
    return None


def _request_new(run: Run) -> dict:
    """The request of a new try, from the standing order as it is now (the caller stores it before it is sent)."""
    standing_order = run.standing_order
    address = standing_order.shipping_address
    if address is None:
        raise DomainError(
            RecurringError.ADDRESS_REQUIRED,
            "The standing order has no delivery address; choose one.",
            "shipping_address",
        )
    lines = [[line.variant_id, line.quantity] for line in run_lines(run)]
    return {
        "lines": lines,
        # Under the backorder policy the order takes every unit: what is not in stock is backordered on it.
        "backorder": run.kind == Run.Kind.OCCURRENCE
        and standing_order.stock_policy == StandingOrder.StockPolicy.BACKORDER,
        "address": {
            **{name: str(getattr(address, name) or "") for name in ADDRESS_FIELDS},
            "country": str(getattr(address.country, "code", address.country) or ""),
        },
        "shipping_method": standing_order.shipping_method_id,
        "payment": run_payment_request(run),
        "reference": (standing_order.name or "Standing order")[:100],
    }


def run_place_order(run: Run, *, request: dict, memo: QuoteMemo | None = None) -> Order:
    """Sends one try's request to checkout under the try's key: sent again, it returns the same order.

    `memo`: what the run's batch read for pricing already (`quote_memos`)."""
    standing_order = run.standing_order
    shipping_method = standing_order.shipping_method
    if shipping_method is None or shipping_method.pk != request["shipping_method"]:
        shipping_method = ShippingMethod.objects.filter(pk=request["shipping_method"]).first()
    return place_order(
        organization=standing_order.organization,
        user=standing_order.created_by,
        lines=[LineRequest(variant_id=variant_id, quantity=quantity) for variant_id, quantity in request["lines"]],
        # The address as it was when the try started (an edit of the address book does not change the try).
        shipping_address=Address(organization=standing_order.organization, **request["address"]),
        shipping_method=shipping_method,
        payment=_payment_of(request["payment"], standing_order=standing_order),
        idempotency_key=run_idempotency_key(run),
        source=OrderSource.STANDING_ORDER,
        standing_order_run=run,
        customer_reference=request["reference"],
        backorder=bool(request.get("backorder")),
        memo=memo,
        lease=run_checkout_lease(),
    )


def _backordered(order: Order) -> list[dict]:
    """The units of the order waiting for stock (backordered on its lines), as the run records them (from the
    lines checkout kept on the order: no query)."""
    return [
        {"variant_id": line.variant_id, "quantity": line.quantity_backordered}
        for line in order.lines.all()
        if line.quantity_backordered
    ]


def _placed(run: Run, *, order: Order, now: dt.datetime, worker: str, late: bool) -> dict:
    """Records the run's order and, when part of it is backordered, tells the customer and staff."""
    standing_order = run.standing_order
    rest = _backordered(order)
    short = _shortage_text(order, rest) if rest else ""
    with transaction.atomic():
        run_transition(
            run=run,
            to=Run.Status.PLACED,
            fields={
                "order": order,
                "processed_at": now,
                "late": late,
                "backordered": rest,
                "last_error": short,
                "next_attempt_at": None,
                "request": None,
                "retrying_since": None,
            },
            worker=worker,
        )
        if rest:
            failure_tell(
                run,
                template="recurring/backordered",
                title=f"Standing order partly backordered: {standing_order.organization}",
                body=short,
                context={"reason": short, "order": order},
            )
    return _placed_event(run, order=order, rest=rest)


def _shortage_text(order: Order, rest: list[dict]) -> str:
    waiting = {item["variant_id"]: item["quantity"] for item in rest}
    parts = [
        f"{line.sku}: {waiting[line.variant_id]} of {line.quantity} backordered"
        for line in order.lines.all()
        if line.variant_id in waiting
    ]
    return f"Not enough stock for {'; '.join(parts)}; they ship when stock arrives."


def _placed_event(run: Run, *, order: Order, rest: list[dict] | None = None) -> dict:
    extra = {"backordered": rest} if rest else {}
    return pass_event(
        run, "placed", order_number=order.number, total=str(order.total), currency=order.currency, **extra
    )
