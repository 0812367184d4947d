"""Router `standing orders`: the caller's organization's standing orders (list, create, detail with the next
dates and estimates, change, skip, un-skip, pause, resume, cancel) and, for staff, the demand forecast.

Mounted at the API root: its paths are /standing-orders... and /forecast.
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

from django.conf import settings
from django.db import transaction
from django.http import HttpRequest
from ninja import Field, Query, Router, Schema
from ninja.errors import ValidationError

from autosales.cart.models import CartLine
from autosales.cart.session import cart_for_request
from autosales.catalog.api import MoneyOut
from autosales.catalog.models import Variant
from autosales.core.errors import DomainError, NotFound, PermissionDenied
from autosales.core.http.errors import error_responses
from autosales.core.http.fields import Quantity
from autosales.core.http.pagination import Page, PageParams, paginate
from autosales.core.money import Money
from autosales.customers.models import Address, Organization
from autosales.customers.selectors import address_by_public_id, organization_for_user
from autosales.pricing.shipping import ShippingMethod
from autosales.recurring import services
from autosales.recurring.errors import RecurringError
from autosales.recurring.models import Run, StandingOrder
from autosales.recurring.schedule import WEEKDAY_NAMES, rule_describe, rule_for, rule_validate
from autosales.recurring.selectors import (
    FORECAST_WEEKS,
    Occurrence,
    changes_for,
    demand_forecast,
    next_order_dates,
    runs_history,
    standing_order_for,
    standing_orders_for_organization,
    upcoming_occurrences,
)
from autosales.recurring.services import MAX_NOTICE_DAYS, MAX_QUANTITY, MAX_RETRY_DAYS, LineIn

router = Router(tags=["standing orders"])

MAX_LINES = 500
UPCOMING_COUNT = 6
STATUSES = list(StandingOrder.Status.values)
WEEKDAYS = tuple(name.lower() for name in WEEKDAY_NAMES)
# Dates a standing order can reasonably be about; anything else is a typo.
EARLIEST, LATEST = dt.date(2000, 1, 1), dt.date(2999, 12, 31)
Weekday = Literal["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]


# --- Schemas in ---


class StandingOrderLineIn(Schema):
    sku: str = Field(min_length=1, max_length=64)
    quantity: Quantity = Field(ge=1, le=MAX_QUANTITY)


class ScheduleIn(Schema):
    """Either `rule`, or `every` + `unit` with `weekday` (weeks) or `day_of_month` (months)."""

    rule: str | None = Field(
        None,
        max_length=500,
        description="An RFC 5545 RRULE without DTSTART, COUNT or UNTIL, e.g. FREQ=MONTHLY;BYDAY=1MO",
    )
    every: int | None = Field(None, ge=1, le=52, description="Every N weeks or months.")
    unit: Literal["week", "month"] | None = None
    weekday: Weekday | None = Field(None, description="For unit week.")
    day_of_month: int | None = Field(
        None, ge=1, le=31, description="For unit month; 29 to 31 fall on the last day of shorter months."
    )
    start_date: dt.date = Field(ge=EARLIEST, le=LATEST, description="The first date (not in the past).")
    end_date: dt.date | None = Field(None, ge=EARLIEST, le=LATEST, description="The last date; or max_occurrences.")
    max_occurrences: int | None = Field(None, ge=1, le=1000, description="End after this many orders.")
    timezone: str | None = Field(
        None, max_length=64, description="IANA zone of the dates, e.g. America/Chicago; default the organization's."
    )


class PaymentIn(Schema):
    kind: Literal["card", "account"] = Field(description="card (a gateway token) or account (the vendor account).")
    token: str = Field("", max_length=255, description="card: the gateway token (test gateway: tok_approve, ...)")


class StandingOrderIn(Schema):
    name: str = Field("", max_length=120)
    lines: list[StandingOrderLineIn] | None = Field(
        None, max_length=MAX_LINES, description="What to order each time; omit to use the caller's cart."
    )
    schedule: ScheduleIn
    shipping_address: str = Field(min_length=1, max_length=32, description="An address-book id.")
    shipping_method: str = Field(min_length=1, max_length=40, description="A shipping method code.")
    payment: PaymentIn
    notice_days: int = Field(3, ge=0, le=MAX_NOTICE_DAYS, description="Days before each order the notice is sent.")
    stock_policy: Literal["backorder", "retry"] = Field(
        "backorder", description="Short of stock: place what is available and backorder the rest, or retry daily."
    )
    stock_retry_days: int = Field(3, ge=1, le=MAX_RETRY_DAYS, description="retry: for how many days.")


class StandingOrderPatchIn(Schema):
    """Only the fields given change; every change applies to future orders and is recorded."""

    name: str | None = Field(None, max_length=120)
    lines: list[StandingOrderLineIn] | None = Field(None, min_length=1, max_length=MAX_LINES)
    schedule: ScheduleIn | None = None
    shipping_address: str | None = Field(None, min_length=1, max_length=32)
    shipping_method: str | None = Field(None, min_length=1, max_length=40)
    payment: PaymentIn | None = None
    notice_days: int | None = Field(None, ge=0, le=MAX_NOTICE_DAYS)
    stock_policy: Literal["backorder", "retry"] | None = None
    stock_retry_days: int | None = Field(None, ge=1, le=MAX_RETRY_DAYS)


class DateIn(Schema):
    date: dt.date = Field(ge=EARLIEST, le=LATEST, description="One of the standing order's dates.")


class PauseIn(Schema):
    until: dt.date | None = Field(
        None, ge=EARLIEST, le=LATEST, description="Dates before this one are skipped; omit to pause until resumed."
    )


class CancelIn(Schema):
    reason: str = Field("", max_length=500)


class StandingOrderFilters(Schema):
    status: str = Field("", description=f"Only standing orders in this status: {', '.join(STATUSES)}.")


class ForecastParams(Schema):
    weeks: int = Field(FORECAST_WEEKS, ge=1, le=52, description="How many weeks, from this week's Monday.")


# --- Schemas out ---


class StandingOrderLineOut(Schema):
    sku: str
    name: str
    quantity: int


class AddressRefOut(Schema):
    id: str
    label: str
    lines: list[str]


class OccurrenceOut(Schema):
    date: dt.date
    due_at: dt.datetime
    status: str = Field(description="scheduled, placed, retrying, failed or skipped")
    skipped: bool
    skip_reason: str
    order_number: str
    estimated_total: MoneyOut | None = Field(description="At today's prices; null when skipped or not priced.")


class RunOut(Schema):
    date: dt.date
    kind: str
    status: str
    late: bool
    order: str | None = Field(description="The order's public id (GET /orders/{public_id}).")
    order_number: str
    failures: int
    last_error: str
    next_attempt_at: dt.datetime | None


class ChangeOut(Schema):
    at: dt.datetime
    actor: str | None
    kind: str
    data: dict


class StandingOrderOut(Schema):
    public_id: str
    name: str
    status: str = Field(description=f"One of {', '.join(STATUSES)}.")
    rule: str
    schedule: str = Field(description="The schedule in words.")
    start_date: dt.date
    end_date: dt.date | None
    max_occurrences: int | None
    timezone: str
    paused_until: dt.date | None
    next_date: dt.date | None = Field(description="The next date an order will be placed (skips and pauses applied).")
    lines: list[StandingOrderLineOut]
    shipping_address: AddressRefOut | None
    shipping_method: str | None
    payment_kind: str
    notice_days: int
    stock_policy: str
    stock_retry_days: int
    created_at: dt.datetime
    url: str = Field(description="The standing order's page in the store.")


class StandingOrderDetailOut(StandingOrderOut):
    upcoming: list[OccurrenceOut]
    runs: list[RunOut]
    changes: list[ChangeOut]


class ForecastRowOut(Schema):
    sku: str
    name: str
    available: int
    weeks: list[int] = Field(description="Units per week, one number per entry of week_starts.")
    total: int
    short: bool
    short_from: dt.date | None = Field(description="The first week the orders so far exceed the stock available now.")


class ForecastOut(Schema):
    week_starts: list[dt.date]
    rows: list[ForecastRowOut]


# --- Building answers ---


def _money(money: Money) -> dict:
    rounded = money.rounded()
    return {"amount": rounded.amount, "currency": rounded.currency}


def _occurrence_out(occurrence: Occurrence) -> dict:
    return {
        "date": occurrence.date,
        "due_at": occurrence.due_at,
        "status": occurrence.status,
        "skipped": occurrence.skipped,
        "skip_reason": occurrence.skip_reason,
        "order_number": occurrence.order_number,
        "estimated_total": _money(occurrence.estimate.total) if occurrence.estimate else None,
    }


def _run_out(run: Run) -> dict:
    return {
        "date": run.scheduled_for,
        "kind": run.kind,
        "status": run.status,
        "late": run.late,
        "order": run.order.public_id if run.order else None,
        "order_number": run.order.number_display if run.order else "",
        "failures": run.failures,
        "last_error": run.last_error,
        "next_attempt_at": run.next_attempt_at,
    }


def standing_order_out(standing_order: StandingOrder, *, next_date: dt.date | None, detail: bool = False) -> dict:
    """The standing order as the API shows it; its lines (with variants and products) must be prefetched."""
    address = standing_order.shipping_address
    body = {
        "public_id": standing_order.public_id,
        "name": standing_order.name,
        "status": standing_order.status,
        "rule": standing_order.rule,
        "schedule": rule_describe(standing_order.rule),
        "start_date": standing_order.start_date,
        "end_date": standing_order.end_date,
        "max_occurrences": standing_order.max_occurrences,
        "timezone": standing_order.timezone,
        "paused_until": standing_order.paused_until,
        "next_date": next_date,
        "lines": [
            {
                "sku": line.variant.sku,
                "name": f"{line.variant.product.name} {line.variant.name}".strip(),
                "quantity": line.quantity,
            }
            for line in standing_order.lines.all()
        ],
        "shipping_address": (
            {"id": address.public_id, "label": address.label, "lines": address.lines()} if address else None
        ),
        "shipping_method": standing_order.shipping_method.code if standing_order.shipping_method else None,
        "payment_kind": standing_order.payment_kind,
        "notice_days": standing_order.notice_days,
        "stock_policy": standing_order.stock_policy,
        "stock_retry_days": standing_order.stock_retry_days,
        "created_at": standing_order.created_at,
        "url": f"{settings.SHOP['base_url'].rstrip('/')}/standing-orders/{standing_order.public_id}/",
    }
    if detail:
        body["upcoming"] = [
            _occurrence_out(o) for o in upcoming_occurrences(standing_order=standing_order, count=UPCOMING_COUNT)
        ]
        body["runs"] = [_run_out(run) for run in runs_history(standing_order=standing_order)]
        body["changes"] = [
            {
                "at": change.created_at,
                "actor": change.actor.username if change.actor else None,
                "kind": change.kind,
                "data": change.data,
            }
            for change in changes_for(standing_order=standing_order)
        ]
    return body


def _detail(standing_order: StandingOrder, organization: Organization) -> dict:
    fresh = standing_order_for(public_id=standing_order.public_id, organization=organization)
    next_date = next_order_dates(standing_orders=[fresh])[fresh.pk]
    return standing_order_out(fresh, next_date=next_date, detail=True)


# --- Reading input ---


def caller_organization(request: HttpRequest) -> Organization:
    """The organization the caller acts for; a caller without one has no standing orders (404)."""
    organization = organization_for_user(user=request.auth)
    if organization is None:
        raise NotFound(
            RecurringError.NOT_FOUND,
            "You do not belong to a customer organization, so you have no standing orders.",
            "standing_order",
        )
    return organization


def _lines(lines: list[StandingOrderLineIn] | None, request: HttpRequest) -> list[LineIn]:
    if lines is None:
        cart = cart_for_request(request)
        rows = CartLine.objects.filter(cart=cart).order_by("id") if cart is not None else []
        return [LineIn(variant_id=row.variant_id, quantity=row.quantity) for row in rows]
    variants = dict(Variant.objects.filter(sku__in={line.sku for line in lines}).values_list("sku", "id"))
    for index, line in enumerate(lines):
        if line.sku not in variants:
            raise DomainError(
                RecurringError.VARIANT_NOT_FOR_SALE, f"No product has the SKU {line.sku!r}.", f"lines.{index}.sku"
            )
    return [LineIn(variant_id=variants[line.sku], quantity=line.quantity) for line in lines]


def _rule(schedule: ScheduleIn) -> str:
    if schedule.rule:
        if schedule.every is not None or schedule.unit is not None:
            raise DomainError(
                RecurringError.SCHEDULE_CONFLICT, "Give either a rule or every and unit, not both.", "schedule.rule"
            )
        return rule_validate(schedule.rule)
    if schedule.every is None or schedule.unit is None:
        raise DomainError(RecurringError.SCHEDULE_REQUIRED, "Give a rule, or every and unit.", "schedule.every")
    weekday = WEEKDAYS.index(schedule.weekday) if schedule.weekday else None
    return rule_for(every=schedule.every, unit=schedule.unit, weekday=weekday, day_of_month=schedule.day_of_month)


def _address(public_id: str, organization: Organization) -> Address:
    try:
        return address_by_public_id(organization=organization, public_id=public_id)
    except NotFound as exc:
        raise NotFound(exc.code, exc.message, "shipping_address") from exc


def _shipping_method(code: str) -> ShippingMethod:
    method = ShippingMethod.objects.filter(code=code, is_active=True).first()
    if method is None:
        raise DomainError(
            RecurringError.SHIPPING_METHOD_REQUIRED, f"No shipping method has the code {code!r}.", "shipping_method"
        )
    return method


_BODY_FIELD = {
    "payment_kind": "payment.kind",
    "payment_token": "payment.token",
    "rule": "schedule.rule",
    "every": "schedule.every",
    "unit": "schedule.unit",
    "weekday": "schedule.weekday",
    "day_of_month": "schedule.day_of_month",
    "start_date": "schedule.start_date",
    "end_date": "schedule.end_date",
    "max_occurrences": "schedule.max_occurrences",
    "timezone": "schedule.timezone",
}


def _as_body_fields(exc: DomainError) -> DomainError:
    """The service's error, naming the field as the request body does (e.g. `schedule.start_date`)."""
    if exc.field in _BODY_FIELD:
        exc.field = _BODY_FIELD[exc.field]
    elif exc.field and exc.field.startswith("lines.") and exc.field.endswith(".variant"):
        exc.field = exc.field.removesuffix(".variant") + ".sku"
    return exc


def _owned(request, public_id: str) -> tuple[StandingOrder, Organization]:
    organization = caller_organization(request)
    return standing_order_for(public_id=public_id, organization=organization), organization


# --- Operations ---


@router.get(
    "/standing-orders",
    response={200: Page[StandingOrderOut], **error_responses(401, 404, 422)},
    summary="The standing orders of the caller's organization, newest first",
)
def standing_orders_list(request, filters: Query[StandingOrderFilters], paging: Query[PageParams]):
    organization = caller_organization(request)
    if filters.status and filters.status not in STATUSES:
        raise ValidationError(
            [
                {
                    "loc": ("query", "status"),
                    "type": "invalid_status",
                    "msg": f"Unknown status {filters.status!r}; use one of {', '.join(STATUSES)}.",
                }
            ]
        )
    queryset = standing_orders_for_organization(
        organization=organization, status=filters.status or None
    ).select_related("shipping_address")
    page = paginate(request=request, queryset=queryset, params=paging)
    next_dates = next_order_dates(standing_orders=list(page.items))
    return page.with_items([standing_order_out(so, next_date=next_dates[so.pk]) for so in page.items])


@router.post(
    "/standing-orders",
    response={201: StandingOrderDetailOut, **error_responses(400, 401, 404, 409, 422)},
    summary="Set up a standing order (from lines, or from the caller's cart when lines are omitted)",
)
def standing_orders_create(request, payload: StandingOrderIn):
    organization = caller_organization(request)
    try:
        lines = _lines(payload.lines, request)
        schedule = payload.schedule
        standing_order = services.standing_order_create(
            organization=organization,
            actor=request.auth,
            lines=lines,
            rule=_rule(schedule),
            start_date=schedule.start_date,
            end_date=schedule.end_date,
            max_occurrences=schedule.max_occurrences,
            timezone=schedule.timezone,
            shipping_address=_address(payload.shipping_address, organization),
            shipping_method=_shipping_method(payload.shipping_method),
            payment_kind=payload.payment.kind,
            payment_token=payload.payment.token if payload.payment.kind == "card" else "",
            notice_days=payload.notice_days,
            stock_policy=payload.stock_policy,
            stock_retry_days=payload.stock_retry_days,
            name=payload.name,
        )
    except DomainError as exc:
        raise _as_body_fields(exc) from None
    return 201, _detail(standing_order, organization)


@router.get(
    "/standing-orders/{public_id}",
    response={200: StandingOrderDetailOut, **error_responses(401, 404)},
    summary="One standing order with its next dates and estimated totals, its runs and its change log",
)
def standing_orders_detail(request, public_id: str):
    standing_order, organization = _owned(request, public_id)
    return _detail(standing_order, organization)


@router.patch(
    "/standing-orders/{public_id}",
    response={200: StandingOrderDetailOut, **error_responses(400, 401, 404, 409, 422)},
    summary="Change items, delivery, payment, notice or schedule for future orders (all or nothing)",
)
def standing_orders_update(request, public_id: str, payload: StandingOrderPatchIn):
    standing_order, organization = _owned(request, public_id)
    try:
        with transaction.atomic():
            if payload.lines is not None:
                services.standing_order_lines_set(
                    standing_order=standing_order, actor=request.auth, lines=_lines(payload.lines, request)
                )
            if payload.schedule is not None:
                schedule = payload.schedule
                services.standing_order_reschedule(
                    standing_order=standing_order,
                    actor=request.auth,
                    rule=_rule(schedule),
                    start_date=schedule.start_date,
                    end_date=schedule.end_date,
                    max_occurrences=schedule.max_occurrences,
                    timezone=schedule.timezone,
                )
            changes = {
                "shipping_address": (
                    _address(payload.shipping_address, organization) if payload.shipping_address else None
                ),
                "shipping_method": _shipping_method(payload.shipping_method) if payload.shipping_method else None,
                "payment_kind": payload.payment.kind if payload.payment else None,
                "payment_token": (
                    (payload.payment.token if payload.payment.kind == "card" else "") if payload.payment else None
                ),
                "notice_days": payload.notice_days,
                "stock_policy": payload.stock_policy,
                "stock_retry_days": payload.stock_retry_days,
                "name": payload.name,
            }
            if any(value is not None for value in changes.values()):
                services.standing_order_update(standing_order=standing_order, actor=request.auth, **changes)
    except DomainError as exc:
        raise _as_body_fields(exc) from None
    return _detail(standing_order, organization)


@router.post(
    "/standing-orders/{public_id}/skip",
    response={200: StandingOrderDetailOut, **error_responses(400, 401, 404, 409, 422)},
    summary="Skip one date: no order is placed for it",
)
def standing_orders_skip(request, public_id: str, payload: DateIn):
    standing_order, organization = _owned(request, public_id)
    services.occurrence_skip(standing_order=standing_order, actor=request.auth, day=payload.date)
    return _detail(standing_order, organization)


@router.post(
    "/standing-orders/{public_id}/unskip",
    response={200: StandingOrderDetailOut, **error_responses(400, 401, 404, 409, 422)},
    summary="Bring back a skipped date that is not yet due",
)
def standing_orders_unskip(request, public_id: str, payload: DateIn):
    standing_order, organization = _owned(request, public_id)
    services.occurrence_unskip(standing_order=standing_order, actor=request.auth, day=payload.date)
    return _detail(standing_order, organization)


@router.post(
    "/standing-orders/{public_id}/pause",
    response={200: StandingOrderDetailOut, **error_responses(400, 401, 404, 409, 422)},
    summary="Pause until a date (the dates before it are skipped) or, without one, until resumed",
)
def standing_orders_pause(request, public_id: str, payload: PauseIn):
    standing_order, organization = _owned(request, public_id)
    services.standing_order_pause(standing_order=standing_order, actor=request.auth, until=payload.until)
    return _detail(standing_order, organization)


@router.post(
    "/standing-orders/{public_id}/resume",
    response={200: StandingOrderDetailOut, **error_responses(401, 404, 409)},
    summary="Resume a paused standing order",
)
def standing_orders_resume(request, public_id: str):
    standing_order, organization = _owned(request, public_id)
    services.standing_order_resume(standing_order=standing_order, actor=request.auth)
    return _detail(standing_order, organization)


@router.post(
    "/standing-orders/{public_id}/cancel",
    response={200: StandingOrderDetailOut, **error_responses(400, 401, 404, 409, 422)},
    summary="Cancel: no further orders (orders already placed are not touched)",
)
def standing_orders_cancel(request, public_id: str, payload: CancelIn):
    standing_order, organization = _owned(request, public_id)
    services.standing_order_cancel(standing_order=standing_order, actor=request.auth, reason=payload.reason)
    return _detail(standing_order, organization)


@router.get(
    "/forecast",
    response={200: ForecastOut, **error_responses(401, 403, 422)},
    summary="Staff: units per SKU per week from every active standing order, beside stock available now",
)
def forecast(request, params: Query[ForecastParams]):
    user = request.auth
    if not (user.is_active and user.is_staff and user.has_perm("recurring.view_standingorder")):
        raise PermissionDenied("permission_denied", "Only staff who may view standing orders see the forecast.", None)
    result = demand_forecast(weeks=params.weeks)
    return {
        "week_starts": list(result.week_starts),
        "rows": [
            {
                "sku": row.sku,
                "name": row.name,
                "available": row.available,
                "weeks": list(row.weeks),
                "total": row.total,
                "short": row.short,
                "short_from": result.week_starts[row.shortage_week] if row.short else None,
            }
            for row in result.rows
        ],
    }
