"""Changes customers and staff make to standing orders: create, change, skip, pause, resume, cancel.

Every change is recorded (`Change`) with who made it. Changes apply to future runs only: a run that was
already placed keeps its order.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext

from autosales.cart.services import order_quantity_check
from autosales.catalog.models import Variant
from autosales.checkout.selectors import payment_options_for
from autosales.core import clock
from autosales.core.errors import Conflict, DomainError
from autosales.customers.models import Address, Organization
from autosales.jobs.claims import claimable_filter
from autosales.payments.card_numbers import card_number_refuse
from autosales.payments.methods import payment_method_save
from autosales.pricing.shipping import ShippingMethod
from autosales.recurring.errors import RecurringError
from autosales.recurring.lead_time import lead_times
from autosales.recurring.models import Change, Run, StandingOrder, StandingOrderLine
from autosales.recurring.schedule import Schedule, ScheduleError, rule_validate, timezone_validate
from autosales.recurring.selectors import occurrence_skips
from autosales.recurring.transitions import OPEN_RUN_STATUSES, run_transition, standing_order_transition

MAX_QUANTITY = 100_000
MAX_NOTICE_DAYS = 30
MAX_RETRY_DAYS = 30
PAUSED_SKIP_REASON = "paused"


@dataclass(frozen=True)
class LineIn:
    variant_id: int
    quantity: int


def _actor(user):
    return user if getattr(user, "pk", None) else None


def _record(*, standing_order: StandingOrder, actor, kind: str, data: dict | None = None) -> None:
    Change.objects.create(standing_order=standing_order, actor=_actor(actor), kind=kind, data=data or {})


def _lines_clean(lines: Sequence[LineIn]) -> dict[int, int]:
    if not lines:
        raise DomainError(RecurringError.NO_LINES, "A standing order needs at least one item.", "lines")
    merged: dict[int, int] = {}
    for index, line in enumerate(lines):
        if not isinstance(line.quantity, int) or not 1 <= line.quantity <= MAX_QUANTITY:
            raise DomainError(
                RecurringError.QUANTITY_INVALID,
                f"The quantity must be a whole number from 1 to {MAX_QUANTITY:,}.",
                f"lines.{index}.quantity",
            )
        merged[line.variant_id] = merged.get(line.variant_id, 0) + line.quantity
    on_sale = {
        variant.pk: variant
        for variant in Variant.objects.filter(pk__in=merged, is_active=True, product__is_active=True).only(
            "pk", "sku", "min_quantity", "pack_size"
        )
    }
    for index, line in enumerate(lines):
        if line.variant_id not in on_sale:
            raise DomainError(
                RecurringError.VARIANT_NOT_FOR_SALE, "This item is not for sale.", f"lines.{index}.variant"
            )
    # Each run is an order: its lines meet the minimum and pack size as a cart's do.
    for index, line in enumerate(lines):
        order_quantity_check(
            variant=on_sale[line.variant_id], quantity=merged[line.variant_id], field=f"lines.{index}.quantity"
        )
    return merged


def _payment_check(*, organization: Organization, payment_kind: str, payment_token: str) -> None:
    if payment_kind not in StandingOrder.PaymentKind.values:
        raise DomainError(
            RecurringError.PAYMENT_KIND_INVALID, "Choose the card on file or your vendor account.", "payment_kind"
        )
    if payment_kind == StandingOrder.PaymentKind.CARD and not payment_token:
        raise DomainError(RecurringError.CARD_TOKEN_REQUIRED, "Enter the card to charge.", "payment_token")
    card_number_refuse(value=payment_token, field="payment_token")
    if payment_kind == StandingOrder.PaymentKind.ACCOUNT:
        option = next(o for o in payment_options_for(organization=organization) if o.kind == "account")
        if not option.available:
            raise DomainError(RecurringError.ACCOUNT_UNAVAILABLE, option.reason, "payment_kind")


def _move_check(value) -> bool:
    if not isinstance(value, bool):
        raise DomainError(
            RecurringError.MOVE_TO_WORKING_DAY_INVALID,
            "Moving weekend and holiday dates to the next working day is either on (true) or off (false).",
            "move_to_working_day",
        )
    return value


def _terms_check(
    *,
    start_date: dt.date,
    end_date: dt.date | None,
    max_occurrences: int | None,
    notice_days: int,
    stock_policy: str,
    stock_retry_days: int,
    today: dt.date,
    start_may_be_past: bool = False,
) -> None:
    if not start_may_be_past and start_date < today:
        raise DomainError(RecurringError.START_IN_PAST, "The first date cannot be in the past.", "start_date")
    if end_date is not None and max_occurrences is not None:
        raise DomainError(
            RecurringError.END_CONFLICT, "End either on a date or after a number of orders, not both.", "end_date"
        )
    if end_date is not None and end_date < start_date:
        raise DomainError(RecurringError.END_BEFORE_START, "The end date is before the first date.", "end_date")
    if max_occurrences is not None and not 1 <= max_occurrences <= 1000:
        raise DomainError(
            RecurringError.MAX_OCCURRENCES_INVALID,
            "The number of orders must be from 1 to 1,000.",
            "max_occurrences",
        )
    if not 0 <= notice_days <= MAX_NOTICE_DAYS:
        raise DomainError(
            RecurringError.NOTICE_DAYS_INVALID, f"Notice days must be from 0 to {MAX_NOTICE_DAYS}.", "notice_days"
        )
    if stock_policy not in StandingOrder.StockPolicy.values:
        raise DomainError(
            RecurringError.STOCK_POLICY_INVALID, "Choose to backorder the rest or to retry.", "stock_policy"
        )
    if not 1 <= stock_retry_days <= MAX_RETRY_DAYS:
        raise DomainError(
            RecurringError.RETRY_DAYS_INVALID,
            f"Retry days must be from 1 to {MAX_RETRY_DAYS}.",
            "stock_retry_days",
        )


def standing_order_create(
    *,
    organization: Organization,
    actor,
    lines: Sequence[LineIn],
    rule: str,
    start_date: dt.date,
    shipping_address: Address,
    shipping_method: ShippingMethod,
    payment_kind: str,
    payment_token: str = "",
    timezone: str | None = None,
    end_date: dt.date | None = None,
    max_occurrences: int | None = None,
    notice_days: int = 3,
    stock_policy: str = StandingOrder.StockPolicy.BACKORDER,
    stock_retry_days: int = 3,
    name: str = "",
    move_to_working_day: bool = False,
) -> StandingOrder:
    """Creates an active standing order whose first and every later occurrence the scheduler will place, once each
    (on the next working day when `move_to_working_day` and the date is no delivery day)."""
    timezone = timezone_validate(timezone or organization.local_time_zone)
    rule = rule_validate(rule, start=start_date)
    _move_check(move_to_working_day)
    quantities = _lines_clean(lines)
    _terms_check(
        start_date=start_date,
        end_date=end_date,
        max_occurrences=max_occurrences,
        notice_days=notice_days,
        stock_policy=stock_policy,
        stock_retry_days=stock_retry_days,
        today=clock.today(timezone),
    )
    if shipping_address is None or shipping_address.organization_id != organization.pk:
        raise DomainError(RecurringError.ADDRESS_REQUIRED, "Choose one of your delivery addresses.", "shipping_address")
    if shipping_method is None or not shipping_method.is_active:
        raise DomainError(RecurringError.SHIPPING_METHOD_REQUIRED, "Choose a shipping method.", "shipping_method")
    _payment_check(organization=organization, payment_kind=payment_kind, payment_token=payment_token)
    schedule = Schedule(
        rule=rule,
        start=start_date,
        timezone=timezone,
        end_date=end_date,
        max_occurrences=max_occurrences,
    )
    if not schedule.next_dates(after=start_date - dt.timedelta(days=1), count=1):
        raise DomainError(RecurringError.END_BEFORE_START, "This schedule ends before its first order.", "end_date")
    # Saved at the gateway for off-session charges, before (never inside) the transaction.
    method = None
    if payment_kind == StandingOrder.PaymentKind.CARD:
        method = payment_method_save(organization=organization, token=payment_token, field="payment_token")
    with transaction.atomic():
        standing_order = StandingOrder(
            organization=organization,
            created_by=actor,
            name=name.strip()[:120],
            rule=rule,
            start_date=start_date,
            end_date=end_date,
            max_occurrences=max_occurrences,
            timezone=timezone,
            shipping_address=shipping_address,
            shipping_method=shipping_method,
            payment_kind=payment_kind,
            payment_token=payment_token,
            payment_method=method,
            notice_days=notice_days,
            stock_policy=stock_policy,
            stock_retry_days=stock_retry_days,
            move_to_working_day=move_to_working_day,
        )
        standing_order.next_materialize_at = clock.now()  # the scheduler makes its first runs when they are due
        standing_order.save()
        StandingOrderLine.objects.bulk_create(
            [StandingOrderLine(standing_order=standing_order, variant_id=v, quantity=q) for v, q in quantities.items()]
        )
        _record(
            standing_order=standing_order,
            actor=actor,
            kind="created",
            data={
                "rule": rule,
                "start_date": start_date.isoformat(),
                "lines": {str(v): q for v, q in quantities.items()},
                "move_to_working_day": move_to_working_day,
            },
        )
    return standing_order


def _open_future_runs(standing_order: StandingOrder, *, after: dt.date | None = None):
    """Runs not yet due and nobody is working on, which a change may still alter."""
    now = clock.now()
    runs = Run.objects.filter(standing_order=standing_order, due_at__gt=now).filter(claimable_filter(now=now))
    if after is not None:
        runs = runs.filter(scheduled_for__gt=after)
    return runs


def _dates_changed(standing_order: StandingOrder) -> None:
    """After a change of which dates are ordered (a skip moves an end after N orders, a schedule changes):
    runs not yet due whose date is no longer in the schedule go, the others stay (a skip stays a skip) with the
    schedule's due time and working day (after a change of the lead time or of `move_to_working_day`), and the
    scheduler looks at the standing order again now."""
    runs = list(
        _open_future_runs(standing_order)
        .filter(kind=Run.Kind.OCCURRENCE, status__in=[*OPEN_RUN_STATUSES, Run.Status.SKIPPED])
        .select_for_update()
    )
    schedule = lead_times().schedule(standing_order)
    if runs:
        try:
            dates = set(
                schedule.dates(
                    after=min(run.scheduled_for for run in runs) - dt.timedelta(days=1),
                    through=max(run.scheduled_for for run in runs),
                    skipped=occurrence_skips(standing_orders=[standing_order])[standing_order.pk],
                )
            )
        except ScheduleError:
            dates = {run.scheduled_for for run in runs}  # a schedule that needs attention drops nothing
        Run.objects.filter(pk__in=[run.pk for run in runs if run.scheduled_for not in dates]).delete()
        for run in runs:
            moved_to, due_at = schedule.moved_to(run.scheduled_for), schedule.due_at(run.scheduled_for)
            if run.scheduled_for in dates and (run.due_at, run.moved_to) != (due_at, moved_to):
                run.due_at, run.moved_to = due_at, moved_to
                run.next_attempt_at = due_at if run.status in OPEN_RUN_STATUSES else None
                run.save(update_fields=["due_at", "moved_to", "next_attempt_at"])
    standing_order.next_materialize_at = clock.now()
    StandingOrder.objects.filter(pk=standing_order.pk).update(next_materialize_at=standing_order.next_materialize_at)


def _locked(standing_order: StandingOrder) -> StandingOrder:
    locked = StandingOrder.objects.select_for_update().get(pk=standing_order.pk)
    if locked.status in (StandingOrder.Status.CANCELLED, StandingOrder.Status.ENDED):
        raise Conflict(
            RecurringError.ILLEGAL_TRANSITION,
            gettext("This standing order is %(status)s; it can no longer be changed.")
            % {"status": locked.get_status_display().lower()},
            "status",
        )
    return locked


def standing_order_lines_set(*, standing_order: StandingOrder, actor, lines: Sequence[LineIn]) -> StandingOrder:
    """Replaces the items of every future order (orders already placed keep theirs)."""
    quantities = _lines_clean(lines)
    with transaction.atomic():
        standing_order = _locked(standing_order)
        before = {str(line.variant_id): line.quantity for line in standing_order.lines.all()}
        standing_order.lines.all().delete()
        StandingOrderLine.objects.bulk_create(
            [StandingOrderLine(standing_order=standing_order, variant_id=v, quantity=q) for v, q in quantities.items()]
        )
        _record(
            standing_order=standing_order,
            actor=actor,
            kind="lines_changed",
            data={"before": before, "after": {str(v): q for v, q in quantities.items()}},
        )
    return standing_order


def standing_order_update(
    *,
    standing_order: StandingOrder,
    actor,
    shipping_address: Address | None = None,
    shipping_method: ShippingMethod | None = None,
    payment_kind: str | None = None,
    payment_token: str | None = None,
    notice_days: int | None = None,
    stock_policy: str | None = None,
    stock_retry_days: int | None = None,
    name: str | None = None,
) -> StandingOrder:
    """Changes delivery, payment or notice settings for future orders."""
    method = None
    if payment_token and (payment_kind or standing_order.payment_kind) == StandingOrder.PaymentKind.CARD:
        # A new card is saved at the gateway before (never inside) the transaction.
        method = payment_method_save(
            organization=standing_order.organization, token=payment_token, field="payment_token"
        )
    with transaction.atomic():
        standing_order = _locked(standing_order)
        changed: dict[str, str] = {}
        if shipping_address is not None:
            if shipping_address.organization_id != standing_order.organization_id:
                raise DomainError(
                    RecurringError.ADDRESS_REQUIRED, "Choose one of your delivery addresses.", "shipping_address"
                )
            standing_order.shipping_address = shipping_address
            changed["shipping_address"] = shipping_address.public_id
        if shipping_method is not None:
            if not shipping_method.is_active:
                raise DomainError(
                    RecurringError.SHIPPING_METHOD_REQUIRED, "This shipping method is not offered.", "shipping_method"
                )
            standing_order.shipping_method = shipping_method
            changed["shipping_method"] = shipping_method.code
        if payment_kind is not None or payment_token is not None:
            kind = payment_kind if payment_kind is not None else standing_order.payment_kind
            token = payment_token if payment_token is not None else standing_order.payment_token
            _payment_check(organization=standing_order.organization, payment_kind=kind, payment_token=token)
            standing_order.payment_kind, standing_order.payment_token = kind, token
            if method is not None or kind != StandingOrder.PaymentKind.CARD:
                standing_order.payment_method = method
            changed["payment_kind"] = kind
        _terms_check(
            start_date=standing_order.start_date,
            end_date=standing_order.end_date,
            max_occurrences=standing_order.max_occurrences,
            notice_days=standing_order.notice_days if notice_days is None else notice_days,
            stock_policy=stock_policy or standing_order.stock_policy,
            stock_retry_days=standing_order.stock_retry_days if stock_retry_days is None else stock_retry_days,
            today=clock.today(standing_order.timezone),
            start_may_be_past=True,
        )
        for field, value in (
            ("notice_days", notice_days),
            ("stock_policy", stock_policy),
            ("stock_retry_days", stock_retry_days),
        ):
            if value is not None and value != getattr(standing_order, field):
                setattr(standing_order, field, value)
                changed[field] = str(value)
        if name is not None:
            standing_order.name = name.strip()[:120]
            changed["name"] = standing_order.name
        if "notice_days" in changed:
            standing_order.next_materialize_at = clock.now()  # the notice window moved: look again
        standing_order.save()
        if "shipping_method" in changed:
            _dates_changed(standing_order)  # another transit time: its runs' lead time moves
        if changed:
            _record(standing_order=standing_order, actor=actor, kind="updated", data=changed)
    return standing_order


def standing_order_reschedule(
    *,
    standing_order: StandingOrder,
    actor,
    rule: str,
    start_date: dt.date,
    end_date: dt.date | None = None,
    max_occurrences: int | None = None,
    timezone: str | None = None,
    move_to_working_day: bool | None = None,
) -> StandingOrder:
    """Changes the interval (and start/end, and whether weekend and holiday dates move to the next working day;
    None keeps it) for future orders: runs not yet due whose date is still in the new schedule stay as they are
    (a skipped date stays skipped) with their day and due time moved as the new schedule has them, the others go."""
    rule = rule_validate(rule, start=start_date)
    if move_to_working_day is not None:
        _move_check(move_to_working_day)
    with transaction.atomic():
        standing_order = _locked(standing_order)
        timezone = timezone_validate(timezone or standing_order.timezone)
        today = clock.today(timezone)
        _terms_check(
            start_date=start_date,
            end_date=end_date,
            max_occurrences=max_occurrences,
            notice_days=standing_order.notice_days,
            stock_policy=standing_order.stock_policy,
            stock_retry_days=standing_order.stock_retry_days,
            today=today,
        )
        before = {
            "rule": standing_order.rule,
            "start_date": standing_order.start_date.isoformat(),
            "move_to_working_day": standing_order.move_to_working_day,
        }
        # Runs placed, failed or due stay as history; the scheduler goes on from the last of them.
        last_kept = (
            Run.objects.filter(standing_order=standing_order)
            .exclude(pk__in=_open_future_runs(standing_order).values("pk"))
            .order_by("-scheduled_for")
            .values_list("scheduled_for", flat=True)
        ).first()
        standing_order.rule = rule
        standing_order.start_date = start_date
        standing_order.end_date = end_date
        standing_order.max_occurrences = max_occurrences
        standing_order.timezone = timezone
        if move_to_working_day is not None:
            standing_order.move_to_working_day = move_to_working_day
        standing_order.materialized_through = max(last_kept, start_date - dt.timedelta(days=1)) if last_kept else None
        standing_order.save()
        _dates_changed(standing_order)
        _record(
            standing_order=standing_order,
            actor=actor,
            kind="rescheduled",
            data={
                "before": before,
                "after": {
                    "rule": rule,
                    "start_date": start_date.isoformat(),
                    "move_to_working_day": standing_order.move_to_working_day,
                },
            },
        )
    return standing_order


def occurrence_skip(*, standing_order: StandingOrder, actor, day: dt.date, reason: str = "") -> Run:
    """Skips the occurrence on `day` (no order will be placed for it); refused once it is placed or being placed."""
    with transaction.atomic():
        standing_order = _locked(standing_order)
        schedule = lead_times().schedule(standing_order)
        skipped = occurrence_skips(standing_orders=[standing_order])[standing_order.pk]
        if day < clock.today(standing_order.timezone) or not schedule.occurs_on(day, skipped=skipped):
            raise DomainError(RecurringError.NOT_AN_OCCURRENCE, "There is no upcoming order on that date.", "date")
        run = (
            Run.objects.select_for_update()
            .filter(standing_order=standing_order, scheduled_for=day, kind=Run.Kind.OCCURRENCE)
            .first()
        )
        reason = (reason or "skipped by customer")[:200]
        if run is None:
            run = Run.objects.create(
                standing_order=standing_order,
                scheduled_for=day,
                moved_to=schedule.moved_to(day),
                due_at=schedule.due_at(day),
                next_attempt_at=None,
                status=Run.Status.SKIPPED,
                skip_reason=reason,
            )
        else:
            if run.status == Run.Status.SKIPPED:
                return run
            now = clock.now()
            if run.status not in OPEN_RUN_STATUSES or (run.claimed_until and run.claimed_until > now):
                raise Conflict(
                    RecurringError.ALREADY_PROCESSED,
                    "The order for that date has already been placed or is being placed.",
                    "date",
                )
            run_transition(run=run, to=Run.Status.SKIPPED, fields={"skip_reason": reason, "next_attempt_at": None})
        _dates_changed(standing_order)
        _record(standing_order=standing_order, actor=actor, kind="skipped", data={"date": day.isoformat()})
    return run


def occurrence_unskip(*, standing_order: StandingOrder, actor, day: dt.date) -> Run:
    """Brings back a skipped occurrence that is not yet due."""
    with transaction.atomic():
        standing_order = _locked(standing_order)
        run = (
            Run.objects.select_for_update()
            .filter(standing_order=standing_order, scheduled_for=day, kind=Run.Kind.OCCURRENCE)
            .first()
        )
        if run is None or run.status != Run.Status.SKIPPED or run.due_at <= clock.now():
            raise DomainError(
                RecurringError.NOT_AN_OCCURRENCE, "There is no skipped upcoming order on that date.", "date"
            )
        run_transition(run=run, to=Run.Status.SCHEDULED, fields={"skip_reason": "", "next_attempt_at": run.due_at})
        _dates_changed(standing_order)
        _record(standing_order=standing_order, actor=actor, kind="unskipped", data={"date": day.isoformat()})
    return run


def standing_order_pause(*, standing_order: StandingOrder, actor, until: dt.date | None = None) -> StandingOrder:
    """Pauses until `until` (orders dated before it are skipped) or, without a date, until resumed."""
    with transaction.atomic():
        standing_order = _locked(standing_order)
        today = clock.today(standing_order.timezone)
        if until is not None and until <= today:
            raise DomainError(RecurringError.PAUSE_UNTIL_INVALID, "Pause until a date after today.", "until")
        standing_order.paused_until = until
        if standing_order.status == StandingOrder.Status.ACTIVE:
            standing_order_transition(
                standing_order=standing_order,
                to=StandingOrder.Status.PAUSED,
                actor=actor,
                data={"until": until.isoformat() if until else None},
            )
        else:
            standing_order.save(update_fields=["paused_until"])
            _record(
                standing_order=standing_order,
                actor=actor,
                kind="pause_changed",
                data={"until": until.isoformat() if until else None},
            )
        runs = _open_future_runs(standing_order).filter(status__in=OPEN_RUN_STATUSES)
        if until is not None:
            runs = runs.filter(scheduled_for__lt=until)
        for run in runs.select_for_update():
            run_transition(
                run=run, to=Run.Status.SKIPPED, fields={"skip_reason": PAUSED_SKIP_REASON, "next_attempt_at": None}
            )
        _dates_changed(standing_order)
    return standing_order


def standing_order_resume(*, standing_order: StandingOrder, actor) -> StandingOrder:
    """Resumes a paused standing order: upcoming dates skipped by the pause are ordered again."""
    with transaction.atomic():
        standing_order = _locked(standing_order)
        if standing_order.status != StandingOrder.Status.PAUSED:
            raise Conflict(RecurringError.ILLEGAL_TRANSITION, "This standing order is not paused.", "status")
        standing_order.paused_until = None
        standing_order_transition(standing_order=standing_order, to=StandingOrder.Status.ACTIVE, actor=actor)
        for run in (
            _open_future_runs(standing_order)
            .filter(status=Run.Status.SKIPPED, skip_reason=PAUSED_SKIP_REASON)
            .select_for_update()
        ):
            run_transition(run=run, to=Run.Status.SCHEDULED, fields={"skip_reason": "", "next_attempt_at": run.due_at})
        _dates_changed(standing_order)
    return standing_order


def standing_order_cancel(*, standing_order: StandingOrder, actor, reason: str = "") -> StandingOrder:
    """Cancels: no further orders; orders already placed are not touched (cancel those one by one)."""
    with transaction.atomic():
        standing_order = _locked(standing_order)
        for run in Run.objects.filter(
            Q(claimed_until__isnull=True) | Q(claimed_until__lte=clock.now()),
            standing_order=standing_order,
            status__in=OPEN_RUN_STATUSES,
        ).select_for_update():
            run_transition(run=run, to=Run.Status.SKIPPED, fields={"skip_reason": "cancelled", "next_attempt_at": None})
        standing_order.next_materialize_at = None
        standing_order_transition(
            standing_order=standing_order,
            to=StandingOrder.Status.CANCELLED,
            actor=actor,
            data={"reason": reason[:500]},
        )
    return standing_order
