"""Router `standing orders`: the caller's organization's standing orders (list, create, detail with the next
dates and estimates, change, skip, un-skip, pause, resume, cancel) and, for staff, the demand forecast.

Mounted at the API root: its paths are /standing-orders... and /forecast. Each operation names its
`operation_id` (the one ninja derived when the router was the module `autosales.recurring.api`), so clients
generated from the OpenAPI document keep their method names.
"""

from __future__ import annotations

from django.db import transaction
from django.http import HttpRequest
from ninja import Query, Router
from ninja.errors import ValidationError

from autosales.cart.models import CartLine
from autosales.cart.session import cart_for_request
from autosales.catalog.models import Variant
from autosales.core.errors import DomainError, NotFound, PermissionDenied
from autosales.core.http.errors import error_responses
from autosales.core.http.pagination import Page, PageParams, paginate
from autosales.customers.models import Address, Organization
from autosales.customers.selectors import address_by_public_id, organization_for_user
from autosales.pricing.shipping import ShippingMethod
from autosales.recurring import services
from autosales.recurring.api.schemas import (
    STATUSES,
    WEEKDAYS,
    CancelIn,
    DateIn,
    ForecastOut,
    ForecastParams,
    PauseIn,
    ScheduleIn,
    StandingOrderDetailOut,
    StandingOrderFilters,
    StandingOrderIn,
    StandingOrderLineIn,
    StandingOrderOut,
    StandingOrderPatchIn,
)
from autosales.recurring.api.serializers import standing_order_detail_out, standing_order_out
from autosales.recurring.errors import RecurringError
from autosales.recurring.models import StandingOrder
from autosales.recurring.schedule import rule_for, rule_validate
from autosales.recurring.selectors import (
    demand_forecast,
    next_order_dates,
    standing_order_for,
    standing_orders_for_organization,
)
from autosales.recurring.services import LineIn

router = Router(tags=["standing orders"])


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
    "move_to_working_day": "schedule.move_to_working_day",
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
    operation_id="autosales_recurring_api_standing_orders_list",
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
    operation_id="autosales_recurring_api_standing_orders_create",
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
            move_to_working_day=bool(schedule.move_to_working_day),
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
    return 201, standing_order_detail_out(standing_order, organization)


@router.get(
    "/standing-orders/{public_id}",
    operation_id="autosales_recurring_api_standing_orders_detail",
    response={200: StandingOrderDetailOut, **error_responses(401, 404)},
    summary="One standing order with its next dates and estimated totals, its runs and its change log",
)
def standing_orders_detail(request, public_id: str):
    standing_order, organization = _owned(request, public_id)
    return standing_order_detail_out(standing_order, organization)


@router.patch(
    "/standing-orders/{public_id}",
    operation_id="autosales_recurring_api_standing_orders_update",
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
                    move_to_working_day=schedule.move_to_working_day,
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
    return standing_order_detail_out(standing_order, organization)


@router.post(
    "/standing-orders/{public_id}/skip",
    operation_id="autosales_recurring_api_standing_orders_skip",
    response={200: StandingOrderDetailOut, **error_responses(400, 401, 404, 409, 422)},
    summary="Skip one date: no order is placed for it",
)
def standing_orders_skip(request, public_id: str, payload: DateIn):
    standing_order, organization = _owned(request, public_id)
    services.occurrence_skip(standing_order=standing_order, actor=request.auth, day=payload.date)
    return standing_order_detail_out(standing_order, organization)


@router.post(
    "/standing-orders/{public_id}/unskip",
    operation_id="autosales_recurring_api_standing_orders_unskip",
    response={200: StandingOrderDetailOut, **error_responses(400, 401, 404, 409, 422)},
    summary="Bring back a skipped date that is not yet due",
)
def standing_orders_unskip(request, public_id: str, payload: DateIn):
    standing_order, organization = _owned(request, public_id)
    services.occurrence_unskip(standing_order=standing_order, actor=request.auth, day=payload.date)
    return standing_order_detail_out(standing_order, organization)


@router.post(
    "/standing-orders/{public_id}/pause",
    operation_id="autosales_recurring_api_standing_orders_pause",
    response={200: StandingOrderDetailOut, **error_responses(400, 401, 404, 409, 422)},
    summary="Pause until a date (the dates before it are skipped) or, without one, until resumed",
)
def standing_orders_pause(request, public_id: str, payload: PauseIn):
    standing_order, organization = _owned(request, public_id)
    services.standing_order_pause(standing_order=standing_order, actor=request.auth, until=payload.until)
    return standing_order_detail_out(standing_order, organization)


@router.post(
    "/standing-orders/{public_id}/resume",
    operation_id="autosales_recurring_api_standing_orders_resume",
    response={200: StandingOrderDetailOut, **error_responses(401, 404, 409)},
    summary="Resume a paused standing order",
)
def standing_orders_resume(request, public_id: str):
    standing_order, organization = _owned(request, public_id)
    services.standing_order_resume(standing_order=standing_order, actor=request.auth)
    return standing_order_detail_out(standing_order, organization)


@router.post(
    "/standing-orders/{public_id}/cancel",
    operation_id="autosales_recurring_api_standing_orders_cancel",
    response={200: StandingOrderDetailOut, **error_responses(400, 401, 404, 409, 422)},
    summary="Cancel: no further orders (orders already placed are not touched)",
)
def standing_orders_cancel(request, public_id: str, payload: CancelIn):
    standing_order, organization = _owned(request, public_id)
    services.standing_order_cancel(standing_order=standing_order, actor=request.auth, reason=payload.reason)
    return standing_order_detail_out(standing_order, organization)


@router.get(
    "/forecast",
    operation_id="autosales_recurring_api_forecast",
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
