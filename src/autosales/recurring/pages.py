"""Standing-order pages shared by the store and the back office: the detail with the next dates (skip, un-skip),
pause, resume, cancel, the edit pages (items, delivery and payment, schedule) and a new standing order. Plain
forms; each error is shown next to its field and nothing changes on error.

Each handler takes a `Scope` that says which site is asking: the store's pages (`storefront/views`) pass the
customer's scope for the customer's own standing orders, the back office's (`backoffice/views_standing_orders.py`)
the staff scope for any organization, acting on the customer's behalf. Who may call them is the caller's check.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django import forms
from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils import formats
from django.utils.translation import gettext

from autosales.cart.selectors import cart_summary
from autosales.cart.session import cart_for_request
from autosales.catalog.models import Variant
from autosales.checkout.selectors import payment_options_for, shipping_methods_for
from autosales.core import clock
from autosales.core.errors import DomainError
from autosales.customers.models import Organization
from autosales.customers.permissions import customer_change_allowed
from autosales.customers.selectors import addresses_for_organization
from autosales.payments.forms import card_form_config
from autosales.payments.providers.test_gateway import TEST_TOKENS
from autosales.recurring import services
from autosales.recurring.forms import LineRow, LinesInput, ScheduleForm, TermsForm, lines_parse
from autosales.recurring.models import StandingOrder
from autosales.recurring.presenters import change_texts, first_date_notes, schedule_in_words
from autosales.recurring.schedule import WEEKDAY_NAMES
from autosales.recurring.selectors import changes_for, runs_history, standing_order_for, upcoming_occurrences
from autosales.recurring.transitions import OPEN_RUN_STATUSES

UPCOMING_COUNT = 6
BLANK_LINE_ROWS = 3


@dataclass(frozen=True)
class Scope:
    """Which site shows the page: the URL namespace, the layout to extend, and whether staff act for a customer."""

    ns: str
    layout: str
    staff: bool = False


def _rows_with_blanks(rows: list[LineRow]) -> list[LineRow]:
    return [*rows, *(LineRow() for _ in range(BLANK_LINE_ROWS))]


def _rows_of(standing_order: StandingOrder) -> list[LineRow]:
    return [
        LineRow(
            sku=line.variant.sku,
            quantity=str(line.quantity),
            name=f"{line.variant.product.name} {line.variant.name}".strip(),
        )
        for line in standing_order.lines.all()
    ]


def _show_error(exc: DomainError, *forms_: forms.Form, lines: LinesInput | None = None) -> None:
    """A service's error next to its field: on the item row, on the form that has the field, else on the first form."""
    if lines is not None and lines.show(exc):
        return
    name = {"unit": "interval"}.get(exc.field or "", exc.field)
    for form in forms_:
        if name in form.fields:
            form.add_error(name, exc.message)
            return
    forms_[0].add_error(None, exc.message)


def _open(standing_order: StandingOrder) -> bool:
    return standing_order.status in (StandingOrder.Status.ACTIVE, StandingOrder.Status.PAUSED)


def _changeable(request, scope: Scope, standing_order: StandingOrder) -> bool:
    """Whether the page offers changes: an active or paused standing order, and on the staff site a user who may
    change this customer's standing orders (a salesperson: only their own customers')."""
    if not _open(standing_order):
        return False
    if not scope.staff:
        return True
    return request.user.has_perm("recurring.change_standingorder") and customer_change_allowed(
        user=request.user, organization=standing_order.organization
    )


def detail_page(request, scope: Scope, standing_order: StandingOrder, *, errors: dict | None = None, status: int = 200):
    changes = changes_for(standing_order=standing_order)
    upcoming = upcoming_occurrences(standing_order=standing_order, count=UPCOMING_COUNT)
    errors = dict(errors or {})
    if errors.get("on_date") not in {o.date for o in upcoming}:
        errors.pop("on_date", None)  # shown above the dates instead of on a row
    return render(
        request,
        "storefront/standing_orders/detail.html",
        {
            "scope": scope,
            "layout": scope.layout,
            "so": standing_order,
            "schedule_words": schedule_in_words(standing_order),
            "upcoming": upcoming,
            "runs": runs_history(standing_order=standing_order),
            "changes": change_texts(changes),
            "changeable": _changeable(request, scope, standing_order),
            "open_statuses": OPEN_RUN_STATUSES,
            "errors": errors,
            "today": clock.today(standing_order.timezone),
        },
        status=status,
    )


def _done(scope: Scope, standing_order: StandingOrder):
    return redirect(f"{scope.ns}:standing_order_detail", public_id=standing_order.public_id)


def _date_from(request, name: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(request.POST.get(name, "").strip())
    except ValueError:
        return None


def _reload(scope: Scope, standing_order: StandingOrder) -> StandingOrder:
    organization = None if scope.staff else standing_order.organization
    return standing_order_for(public_id=standing_order.public_id, organization=organization)


def _refused(request, scope: Scope, standing_order: StandingOrder, exc: DomainError, *, date: dt.date | None = None):
    errors = {exc.field or "general": exc.message}
    if date is not None:
        errors["on_date"] = date
    return detail_page(request, scope, _reload(scope, standing_order), errors=errors, status=exc.status)


def skip_action(request, scope: Scope, standing_order: StandingOrder, *, unskip: bool = False):
    day = _date_from(request, "date")
    if day is None:
        return detail_page(
            request,
            scope,
            standing_order,
            errors={"date": gettext("Date: choose one of the dates listed.")},
            status=400,
        )
    try:
        if unskip:
            services.occurrence_unskip(standing_order=standing_order, actor=request.user, day=day)
        else:
            services.occurrence_skip(standing_order=standing_order, actor=request.user, day=day)
    except DomainError as exc:
        return _refused(request, scope, standing_order, exc, date=day)
    words = gettext("Un-skipped %(date)s.") if unskip else gettext("Skipped %(date)s.")
    messages.success(request, words % {"date": formats.date_format(day, "l, F j, Y")})
    return _done(scope, standing_order)


def pause_action(request, scope: Scope, standing_order: StandingOrder):
    raw = request.POST.get("until", "").strip()
    until = None
    if raw:
        until = _date_from(request, "until")
        if until is None:
            return detail_page(
                request,
                scope,
                standing_order,
                errors={"until": gettext("Enter a date, or leave it empty.")},
                status=400,
            )
    try:
        services.standing_order_pause(standing_order=standing_order, actor=request.user, until=until)
    except DomainError as exc:
        return _refused(request, scope, standing_order, exc)
    if until:
        messages.success(request, gettext("Paused until %(date)s.") % {"date": formats.date_format(until, "F j, Y")})
    else:
        messages.success(request, gettext("Paused until you resume it."))
    return _done(scope, standing_order)


def resume_action(request, scope: Scope, standing_order: StandingOrder):
    try:
        services.standing_order_resume(standing_order=standing_order, actor=request.user)
    except DomainError as exc:
        return _refused(request, scope, standing_order, exc)
    messages.success(request, gettext("Resumed: the next dates will be ordered again."))
    return _done(scope, standing_order)


def cancel_page(request, scope: Scope, standing_order: StandingOrder):
    error, status = "", 200
    if request.method == "POST":
        if request.POST.get("confirm") != "yes":
            error, status = gettext("Tick the box to confirm that no further orders should be placed."), 400
        else:
            try:
                services.standing_order_cancel(
                    standing_order=standing_order, actor=request.user, reason=request.POST.get("reason", "")[:500]
                )
            except DomainError as exc:
                error, status = exc.message, exc.status
            else:
                messages.success(request, gettext("The standing order is cancelled; no further orders will be placed."))
                return _done(scope, standing_order)
    return render(
        request,
        "storefront/standing_orders/cancel.html",
        {"scope": scope, "layout": scope.layout, "so": standing_order, "error": error},
        status=status,
    )


def _not_changeable(request, scope: Scope, standing_order: StandingOrder):
    if _open(standing_order):
        return None
    messages.error(
        request,
        gettext("This standing order is %(status)s; it can no longer be changed.")
        % {"status": standing_order.get_status_display().lower()},
    )
    return _done(scope, standing_order)


def edit_lines_page(request, scope: Scope, standing_order: StandingOrder):
    if (refused := _not_changeable(request, scope, standing_order)) is not None:
        return refused
    status = 200
    lines = LinesInput(rows=_rows_of(standing_order))
    if request.method == "POST":
        lines = lines_parse(request.POST)
        if lines.valid:
            try:
                services.standing_order_lines_set(standing_order=standing_order, actor=request.user, lines=lines.lines)
            except DomainError as exc:
                if not lines.show(exc):
                    lines.error = exc.message
            else:
                messages.success(request, gettext("Items changed for every future order."))
                return _done(scope, standing_order)
        status = 400
    return render(
        request,
        "storefront/standing_orders/edit_lines.html",
        {
            "scope": scope,
            "layout": scope.layout,
            "so": standing_order,
            "lines": lines,
            "rows": _rows_with_blanks(lines.rows),
        },
        status=status,
    )


def edit_delivery_page(request, scope: Scope, standing_order: StandingOrder):
    if (refused := _not_changeable(request, scope, standing_order)) is not None:
        return refused
    organization = standing_order.organization
    form = TermsForm(request.POST or None, organization=organization, initial=TermsForm.initial_for(standing_order))
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            try:
                services.standing_order_update(
                    standing_order=standing_order,
                    actor=request.user,
                    shipping_address=form.address,
                    shipping_method=form.method,
                    payment_kind=data["payment_kind"],
                    payment_token=data["payment_token"],
                    notice_days=data["notice_days"],
                    stock_policy=data["stock_policy"],
                    stock_retry_days=data["stock_retry_days"],
                    name=data["name"],
                )
            except DomainError as exc:
                _show_error(exc, form)
            else:
                messages.success(request, gettext("Delivery and payment changed for every future order."))
                return _done(scope, standing_order)
        status = 400
    return render(
        request,
        "storefront/standing_orders/edit_delivery.html",
        {
            "scope": scope,
            "layout": scope.layout,
            "so": standing_order,
            "form": form,
            "test_tokens": TEST_TOKENS,
            "stripe": card_form_config(),
        },
        status=status,
    )


def edit_schedule_page(request, scope: Scope, standing_order: StandingOrder):
    if (refused := _not_changeable(request, scope, standing_order)) is not None:
        return refused
    initial = ScheduleForm.initial_for(standing_order)
    if initial["start_date"] < clock.today(standing_order.timezone):
        initial["start_date"] = clock.today(standing_order.timezone) + dt.timedelta(days=1)
    form = ScheduleForm(request.POST or None, initial=initial)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            try:
                services.standing_order_reschedule(
                    standing_order=standing_order,
                    actor=request.user,
                    rule=data["rule_text"],
                    start_date=data["start_date"],
                    end_date=data["end_date"],
                    max_occurrences=data["max_occurrences"],
                    timezone=data["timezone"],
                    move_to_working_day=data["move_to_working_day"],
                )
            except DomainError as exc:
                _show_error(exc, form)
            else:
                messages.success(request, gettext("Schedule changed; the next dates follow the new one."))
                return _done(scope, standing_order)
        status = 400
    return render(
        request,
        "storefront/standing_orders/edit_schedule.html",
        {
            "scope": scope,
            "layout": scope.layout,
            "so": standing_order,
            "form": form,
            "weekdays": WEEKDAY_NAMES,
            "schedule_words": schedule_in_words(standing_order),
            "first_date_notes": first_date_notes(
                start_date=_typed_date(form, "start_date"),
                notice_days=standing_order.notice_days,
                today=clock.today(standing_order.timezone),
                move_to_working_day=bool(form["move_to_working_day"].value()),
            ),
        },
        status=status,
    )


def _typed_date(form: forms.Form, name: str) -> dt.date | None:
    value = form[name].value()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value or "").strip())
    except ValueError:
        return None


def _typed_int(form: forms.Form, name: str) -> int | None:
    try:
        return int(form[name].value())
    except (TypeError, ValueError):
        return None


def _new_initial(organization: Organization) -> dict:
    tomorrow = clock.today(organization.local_time_zone) + dt.timedelta(days=1)
    addresses = addresses_for_organization(organization=organization)
    default = next((a for a in addresses if a.is_default), None) or addresses.first()
    method = next(iter(shipping_methods_for(address=None)), None)
    account = next((o for o in payment_options_for(organization=organization) if o.kind == "account"), None)
    return {
        "interval": "month",
        "every": 1,
        "weekday": tomorrow.weekday(),
        "day_of_month": tomorrow.day,
        "start_date": tomorrow,
        "end": "never",
        "timezone": organization.local_time_zone,
        "shipping_address": default.public_id if default else "",
        "shipping_method": method.code if method else "",
        "payment_kind": "account" if account is not None and account.available else "card",
        "notice_days": 3,
        "stock_policy": StandingOrder.StockPolicy.BACKORDER,
        "stock_retry_days": 3,
    }


def _cart_rows(request, organization: Organization) -> list[LineRow]:
    summary = cart_summary(cart=cart_for_request(request), organization=organization)
    return [
        LineRow(sku=line.sku, quantity=str(line.quantity), name=f"{line.product.name} {line.variant.name}".strip())
        for line in summary.lines
    ]


@dataclass(frozen=True)
class Prefill:
    """What a new standing order is offered with from elsewhere (a customer's predicted reorder): one item, every
    N weeks from a date. Read from the page's query string; a value that does not parse is left out."""

    sku: str = ""
    quantity: int | None = None
    every_weeks: int | None = None
    start_date: dt.date | None = None


def prefill_from_query(query, *, today: dt.date) -> Prefill:
    def number(name: str, low: int, high: int) -> int | None:
        value = query.get(name, "")
        return int(value) if value.isdigit() and low <= int(value) <= high else None

    try:
        start = dt.date.fromisoformat(query.get("start", ""))
    except ValueError:
        start = None
    return Prefill(
        sku=query.get("sku", "").strip()[:64],
        quantity=number("quantity", 1, 1_000_000),
        every_weeks=number("every_weeks", 1, 52),
        start_date=start if start is not None and start > today else None,
    )


def _prefilled(initial: dict, prefill: Prefill) -> tuple[dict, list[LineRow]]:
    if prefill.every_weeks is not None:
        initial |= {"interval": "week", "every": prefill.every_weeks}
    if prefill.start_date is not None:
        initial |= {"start_date": prefill.start_date, "weekday": prefill.start_date.weekday()}
        initial["day_of_month"] = prefill.start_date.day
    variant = Variant.objects.select_related("product").filter(sku=prefill.sku).first() if prefill.sku else None
    if variant is None:
        return initial, []
    name = f"{variant.product.name} {variant.name}".strip()
    return initial, [LineRow(sku=variant.sku, quantity=str(prefill.quantity or ""), name=name)]


def new_page(
    request,
    scope: Scope,
    organization: Organization,
    *,
    form_action: str,
    back_url: str,
    prefill: Prefill | None = None,
):
    """Set up a standing order for `organization`: a customer for their own, or staff on the customer's behalf
    (optionally offered with an item and a rhythm, `prefill`)."""
    initial = _new_initial(organization)
    prefilled_rows: list[LineRow] = []
    if prefill is not None and request.method != "POST":
        initial, prefilled_rows = _prefilled(initial, prefill)
    schedule_form = ScheduleForm(request.POST or None, initial=initial)
    terms_form = TermsForm(request.POST or None, organization=organization, initial=initial)
    # Staff cannot see the customer's cart: "from the cart" is the customer's own page only.
    from_cart = not scope.staff and (request.GET.get("from") == "cart" or request.POST.get("from") == "cart")
    status = 200
    if request.method == "POST":
        lines = lines_parse(request.POST)
        schedule_ok, terms_ok = schedule_form.is_valid(), terms_form.is_valid()
        if schedule_ok and terms_ok and lines.valid:
            schedule, terms = schedule_form.cleaned_data, terms_form.cleaned_data
            try:
                standing_order = services.standing_order_create(
                    organization=organization,
                    actor=request.user,
                    lines=lines.lines,
                    rule=schedule["rule_text"],
                    start_date=schedule["start_date"],
                    end_date=schedule["end_date"],
                    max_occurrences=schedule["max_occurrences"],
                    timezone=schedule["timezone"],
                    move_to_working_day=schedule["move_to_working_day"],
                    shipping_address=terms_form.address,
                    shipping_method=terms_form.method,
                    payment_kind=terms["payment_kind"],
                    payment_token=terms["payment_token"],
                    notice_days=terms["notice_days"],
                    stock_policy=terms["stock_policy"],
                    stock_retry_days=terms["stock_retry_days"],
                    name=terms["name"],
                )
            except DomainError as exc:
                _show_error(exc, schedule_form, terms_form, lines=lines)
            else:
                if scope.staff:
                    done = gettext("%(name)s's standing order is set up. These are its next dates.") % {
                        "name": organization.name
                    }
                else:
                    done = gettext("Your standing order is set up. These are its next dates.")
                messages.success(request, done)
                return redirect(f"{scope.ns}:standing_order_detail", public_id=standing_order.public_id)
        status = 400
    else:
        lines = LinesInput(rows=_cart_rows(request, organization) if from_cart else prefilled_rows)
    return render(
        request,
        "storefront/standing_orders/new.html",
        {
            "scope": scope,
            "layout": scope.layout,
            "organization": organization,
            "form_action": form_action,
            "back_url": back_url,
            "schedule_form": schedule_form,
            "form": terms_form,
            "lines": lines,
            "rows": _rows_with_blanks(lines.rows),
            "from_cart": from_cart,
            "test_tokens": TEST_TOKENS,
            "stripe": card_form_config(),
            "weekdays": WEEKDAY_NAMES,
            "has_errors": status != 200,
            "first_date_notes": first_date_notes(
                start_date=_typed_date(schedule_form, "start_date"),
                notice_days=_typed_int(terms_form, "notice_days"),
                today=clock.today(organization.local_time_zone),
                move_to_working_day=bool(schedule_form["move_to_working_day"].value()),
            ),
        },
        status=status,
    )
