"""Standing-order pages: the organization's list, a new standing order (from scratch or from the cart), the
detail with the next dates (skip, un-skip), pause, resume, cancel, and the edit pages (items, delivery and
payment, schedule). Plain forms; each error is shown next to its field and nothing changes on error.

The back office shows the same detail and edit pages for any organization and acts on the customer's behalf
(`backoffice/views_standing_orders.py`): the handlers below take a `Scope` that says which site is asking.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from functools import cache
from zoneinfo import available_timezones

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from autosales.cart.selectors import cart_summary
from autosales.cart.session import cart_for_request
from autosales.catalog.models import Variant
from autosales.checkout.selectors import payment_options_for, shipping_methods_for
from autosales.core import clock
from autosales.core.errors import DomainError, NotFound
from autosales.customers.models import Address, Organization
from autosales.customers.selectors import addresses_for_organization, organization_for_user
from autosales.payments.forms import CardTokenField, card_form_config
from autosales.pricing.shipping import ShippingMethod
from autosales.recurring import services
from autosales.recurring.models import Change, StandingOrder
from autosales.recurring.schedule import (
    WEEKDAY_NAMES,
    ScheduleError,
    rule_describe,
    rule_for,
    rule_parts,
    rule_validate,
)
from autosales.recurring.selectors import (
    changes_for,
    next_order_dates,
    runs_history,
    standing_order_for,
    standing_orders_for_organization,
    upcoming_occurrences,
)
from autosales.recurring.services import MAX_NOTICE_DAYS, MAX_QUANTITY, MAX_RETRY_DAYS, LineIn
from autosales.recurring.transitions import OPEN_RUN_STATUSES
from autosales.storefront.views.checkout import TEST_TOKENS

PAGE_SIZE = 20
UPCOMING_COUNT = 6
BLANK_LINE_ROWS = 3
MAX_LINE_ROWS = 200
STATUS_CHOICES = StandingOrder.Status.choices


@dataclass(frozen=True)
class Scope:
    """Which site shows the page: the URL namespace, the layout to extend, and whether staff act for a customer."""

    ns: str
    layout: str
    staff: bool = False


CUSTOMER = Scope(ns="storefront", layout="storefront/standing_orders/_layout.html")


# --- Reading schedules in words ---


def schedule_in_words(standing_order: StandingOrder) -> str:
    words = rule_describe(standing_order.rule)
    if standing_order.end_date:
        words += f", until {standing_order.end_date:%b %-d, %Y}"
    elif standing_order.max_occurrences:
        words += f", {standing_order.max_occurrences} order{'s' if standing_order.max_occurrences != 1 else ''} in all"
    else:
        words += ", until further notice"
    return words


# --- Forms ---


@cache
def _zone_choices() -> list[tuple[str, str]]:
    return [(name, name) for name in sorted(available_timezones() | {"UTC"}) if "/" in name or name == "UTC"]


class DateInput(forms.DateInput):
    input_type = "date"

    def format_value(self, value):
        return value.isoformat() if isinstance(value, dt.date) else value


class ScheduleForm(forms.Form):
    """When the orders repeat: every N weeks on a weekday, every N months on a day, or an RRULE; start; end."""

    interval = forms.ChoiceField(
        label="Repeat",
        choices=[
            ("week", "Every N weeks on a weekday"),
            ("month", "Every N months on a day of the month"),
            ("custom", "Custom rule (RFC 5545 RRULE)"),
        ],
        widget=forms.RadioSelect,
    )
    every = forms.IntegerField(label="Every", min_value=1, max_value=52, required=False)
    weekday = forms.TypedChoiceField(
        label="On", coerce=int, choices=list(enumerate(WEEKDAY_NAMES)), required=False, empty_value=None
    )
    day_of_month = forms.IntegerField(
        label="On day",
        min_value=1,
        max_value=31,
        required=False,
        help_text="29 to 31 fall on the last day of shorter months.",
    )
    rule = forms.CharField(
        label="RRULE", max_length=500, required=False, help_text="e.g. FREQ=MONTHLY;BYDAY=1MO (the first Monday)"
    )
    start_date = forms.DateField(label="First date", widget=DateInput)
    end = forms.ChoiceField(
        label="Ends",
        choices=[("never", "Until further notice"), ("date", "On a date"), ("count", "After a number of orders")],
        widget=forms.RadioSelect,
    )
    end_date = forms.DateField(label="Last date", required=False, widget=DateInput)
    max_occurrences = forms.IntegerField(label="Number of orders", min_value=1, max_value=1000, required=False)
    timezone = forms.ChoiceField(label="Time zone", choices=_zone_choices)

    def clean(self):
        data = super().clean()
        interval = data.get("interval")
        try:
            if interval in ("week", "month"):
                if data.get("every") is None and "every" not in self.errors:
                    self.add_error("every", "Enter how many weeks or months apart the orders are.")
                elif data.get("every") is not None:
                    data["rule_text"] = rule_for(
                        every=data["every"],
                        unit=interval,
                        weekday=data.get("weekday"),
                        day_of_month=data.get("day_of_month"),
                    )
            elif interval == "custom":
                data["rule_text"] = rule_validate(data.get("rule", ""))
        except ScheduleError as exc:
            self.add_error(exc.field if exc.field in self.fields else "interval", exc.message)
        end = data.get("end")
        if end == "date" and data.get("end_date") is None and "end_date" not in self.errors:
            self.add_error("end_date", "Enter the last date, or choose another end.")
        if end == "count" and data.get("max_occurrences") is None and "max_occurrences" not in self.errors:
            self.add_error("max_occurrences", "Enter the number of orders, or choose another end.")
        if end != "date":
            data["end_date"] = None
        if end != "count":
            data["max_occurrences"] = None
        return data

    @staticmethod
    def initial_for(standing_order: StandingOrder) -> dict:
        parts = rule_parts(standing_order.rule)
        initial = {
            "start_date": standing_order.start_date,
            "end_date": standing_order.end_date,
            "max_occurrences": standing_order.max_occurrences,
            "end": "date" if standing_order.end_date else ("count" if standing_order.max_occurrences else "never"),
            "timezone": standing_order.timezone,
            "rule": standing_order.rule,
        }
        if parts is None:
            initial.update(interval="custom", every=1)
        else:
            initial.update(
                interval=parts.unit, every=parts.every, weekday=parts.weekday, day_of_month=parts.day_of_month
            )
        return initial


class TermsForm(forms.Form):
    """Delivery, payment, advance notice and what to do when stock is short."""

    name = forms.CharField(label="Name (optional)", max_length=120, required=False)
    shipping_address = forms.ChoiceField(label="Deliver to")
    shipping_method = forms.ChoiceField(label="Shipping method")
    payment_kind = forms.ChoiceField(
        label="Payment", choices=StandingOrder.PaymentKind.choices, widget=forms.RadioSelect
    )
    payment_token = CardTokenField()
    notice_days = forms.IntegerField(
        label="Advance notice (days before each order)", min_value=0, max_value=MAX_NOTICE_DAYS
    )
    stock_policy = forms.ChoiceField(
        label="When stock is short", choices=StandingOrder.StockPolicy.choices, widget=forms.RadioSelect
    )
    stock_retry_days = forms.IntegerField(label="Retry for (days)", min_value=1, max_value=MAX_RETRY_DAYS)

    def __init__(self, *args, organization: Organization, **kwargs):
        super().__init__(*args, **kwargs)
        self.addresses = {a.public_id: a for a in addresses_for_organization(organization=organization)}
        self.methods = {m.code: m for m in shipping_methods_for(address=None)}
        self.fields["shipping_address"].choices = [
            (key, f"{a.label}: {', '.join(a.lines())}" if a.label else ", ".join(a.lines()))
            for key, a in self.addresses.items()
        ]
        self.fields["shipping_method"].choices = [(code, m.name) for code, m in self.methods.items()]
        self.payment_options = payment_options_for(organization=organization)

    @property
    def address(self) -> Address | None:
        return self.addresses.get(self.cleaned_data.get("shipping_address"))

    @property
    def method(self) -> ShippingMethod | None:
        return self.methods.get(self.cleaned_data.get("shipping_method"))

    def clean(self):
        data = super().clean()
        if data.get("payment_kind") == StandingOrder.PaymentKind.ACCOUNT:
            data["payment_token"] = ""
        return data

    @staticmethod
    def initial_for(standing_order: StandingOrder) -> dict:
        return {
            "name": standing_order.name,
            "shipping_address": standing_order.shipping_address.public_id if standing_order.shipping_address else "",
            "shipping_method": standing_order.shipping_method.code if standing_order.shipping_method else "",
            "payment_kind": standing_order.payment_kind,
            "payment_token": standing_order.payment_token,
            "notice_days": standing_order.notice_days,
            "stock_policy": standing_order.stock_policy,
            "stock_retry_days": standing_order.stock_retry_days,
        }


@dataclass
class LineRow:
    """One row of the items table as typed: a SKU and a quantity, with what is wrong with it."""

    sku: str = ""
    quantity: str = ""
    error: str = ""
    name: str = ""


@dataclass
class LinesInput:
    rows: list[LineRow]
    lines: list[LineIn] = field(default_factory=list)
    # lines[i] came from rows[row_of[i]]
    row_of: list[int] = field(default_factory=list)
    error: str = ""

    @property
    def valid(self) -> bool:
        return not self.error and not any(row.error for row in self.rows)

    def show(self, exc: DomainError) -> bool:
        """Puts a service's error about the items on its row (or on the table); False if it is not about items."""
        parts = (exc.field or "").split(".")
        if parts[0] != "lines":
            return False
        if len(parts) > 1 and parts[1].isdigit() and int(parts[1]) < len(self.row_of):
            self.rows[self.row_of[int(parts[1])]].error = exc.message
        else:
            self.error = exc.message
        return True


def lines_parse(post) -> LinesInput:
    """The item rows of a posted form (`sku` and `quantity`, repeated); blank rows and quantity 0 are dropped."""
    skus, quantities = post.getlist("sku")[:MAX_LINE_ROWS], post.getlist("quantity")[:MAX_LINE_ROWS]
    quantities += [""] * (len(skus) - len(quantities))
    rows = [LineRow(sku=s.strip()[:64], quantity=q.strip()[:12]) for s, q in zip(skus, quantities, strict=False)]
    found = {v.sku: v for v in Variant.objects.filter(sku__in={r.sku for r in rows if r.sku}).select_related("product")}
    result = LinesInput(rows=rows)
    for index, row in enumerate(rows):
        if not row.sku and not row.quantity:
            continue
        if not row.sku:
            row.error = "Enter the SKU of the item."
            continue
        variant = found.get(row.sku)
        if variant is None:
            row.error = f"No product has the SKU {row.sku!r}."
            continue
        row.name = f"{variant.product.name} {variant.name}".strip()
        try:
            quantity = int(row.quantity)
        except ValueError:
            row.error = f"The quantity must be a whole number from 1 to {MAX_QUANTITY:,}."
            continue
        if quantity == 0:
            continue
        if not 1 <= quantity <= MAX_QUANTITY:
            row.error = f"The quantity must be a whole number from 1 to {MAX_QUANTITY:,}."
            continue
        result.lines.append(LineIn(variant_id=variant.pk, quantity=quantity))
        result.row_of.append(index)
    if result.valid and not result.lines:
        result.error = "Add at least one item: a SKU and a quantity."
    return result


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


# --- Customer access ---


def _organization(request) -> Organization:
    organization = organization_for_user(user=request.user)
    if organization is None:
        raise Http404("You do not belong to a customer organization.")
    return organization


def _customer_standing_order(request, public_id: str) -> StandingOrder:
    try:
        return standing_order_for(public_id=public_id, organization=_organization(request))
    except NotFound as exc:
        raise Http404(exc.message) from exc


# --- Pages and actions shared with the back office ---


def _changeable(standing_order: StandingOrder) -> bool:
    return standing_order.status in (StandingOrder.Status.ACTIVE, StandingOrder.Status.PAUSED)


def _change_texts(changes: list[Change]) -> list[tuple[Change, str]]:
    variant_ids = set()
    for change in changes:
        for key in ("lines", "before", "after"):
            value = change.data.get(key)
            if isinstance(value, dict):
                variant_ids |= {int(k) for k in value if str(k).isdigit()}
    skus = dict(Variant.objects.filter(pk__in=variant_ids).values_list("pk", "sku")) if variant_ids else {}

    def items(value: dict) -> str:
        return ", ".join(f"{q:,} × {skus.get(int(k), k)}" for k, q in value.items()) if value else "none"

    result = []
    for change in changes:
        data = change.data or {}
        kind = change.kind
        if kind == "created":
            text = f"Created: {rule_describe(data.get('rule', ''))} from {data.get('start_date', '')}"
            if isinstance(data.get("lines"), dict):
                text += f"; {items(data['lines'])}"
        elif kind == "lines_changed":
            text = f"Items changed from {items(data.get('before') or {})} to {items(data.get('after') or {})}"
        elif kind == "rescheduled":
            after = data.get("after") or {}
            text = f"Schedule changed to {rule_describe(after.get('rule', ''))} from {after.get('start_date', '')}"
        elif kind == "skipped":
            text = f"Skipped {data.get('date', '')}"
        elif kind == "unskipped":
            text = f"Un-skipped {data.get('date', '')}"
        elif kind == StandingOrder.Status.PAUSED or kind == "pause_changed":
            text = f"Paused until {data['until']}" if data.get("until") else "Paused until resumed"
        elif kind == StandingOrder.Status.ACTIVE:
            text = "Resumed"
        elif kind == StandingOrder.Status.CANCELLED:
            text = f"Cancelled{': ' + data['reason'] if data.get('reason') else ''}"
        elif kind == StandingOrder.Status.ENDED:
            text = "Ended: the schedule has no more dates"
        elif kind == "updated":
            labels = {
                "shipping_address": "delivery address",
                "shipping_method": "shipping method",
                "payment_kind": "payment",
                "notice_days": "advance notice days",
                "stock_policy": "stock policy",
                "stock_retry_days": "retry days",
                "name": "name",
            }
            # In a fixed order: a JSON column may give the keys back in any order.
            parts = [labels[k] if k == "shipping_address" else f"{labels[k]} to {data[k]}" for k in labels if k in data]
            parts += [f"{k} to {v}" for k, v in sorted(data.items()) if k not in labels]
            text = "Changed " + ", ".join(parts)
        else:
            text = kind.replace("_", " ").capitalize()
        result.append((change, text))
    return result


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
            "changes": _change_texts(changes),
            "changeable": _changeable(standing_order),
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
            request, scope, standing_order, errors={"date": "Date: choose one of the dates listed."}, status=400
        )
    try:
        if unskip:
            services.occurrence_unskip(standing_order=standing_order, actor=request.user, day=day)
        else:
            services.occurrence_skip(standing_order=standing_order, actor=request.user, day=day)
    except DomainError as exc:
        return _refused(request, scope, standing_order, exc, date=day)
    messages.success(request, f"{'Un-skipped' if unskip else 'Skipped'} {day:%A, %B %-d, %Y}.")
    return _done(scope, standing_order)


def pause_action(request, scope: Scope, standing_order: StandingOrder):
    raw = request.POST.get("until", "").strip()
    until = None
    if raw:
        until = _date_from(request, "until")
        if until is None:
            return detail_page(
                request, scope, standing_order, errors={"until": "Enter a date, or leave it empty."}, status=400
            )
    try:
        services.standing_order_pause(standing_order=standing_order, actor=request.user, until=until)
    except DomainError as exc:
        return _refused(request, scope, standing_order, exc)
    messages.success(request, f"Paused until {until:%B %-d, %Y}." if until else "Paused until you resume it.")
    return _done(scope, standing_order)


def resume_action(request, scope: Scope, standing_order: StandingOrder):
    try:
        services.standing_order_resume(standing_order=standing_order, actor=request.user)
    except DomainError as exc:
        return _refused(request, scope, standing_order, exc)
    messages.success(request, "Resumed: the next dates will be ordered again.")
    return _done(scope, standing_order)


def cancel_page(request, scope: Scope, standing_order: StandingOrder):
    error, status = "", 200
    if request.method == "POST":
        if request.POST.get("confirm") != "yes":
            error, status = "Tick the box to confirm that no further orders should be placed.", 400
        else:
            try:
                services.standing_order_cancel(
                    standing_order=standing_order, actor=request.user, reason=request.POST.get("reason", "")[:500]
                )
            except DomainError as exc:
                error, status = exc.message, exc.status
            else:
                messages.success(request, "The standing order is cancelled; no further orders will be placed.")
                return _done(scope, standing_order)
    return render(
        request,
        "storefront/standing_orders/cancel.html",
        {"scope": scope, "layout": scope.layout, "so": standing_order, "error": error},
        status=status,
    )


def _not_changeable(request, scope: Scope, standing_order: StandingOrder):
    if _changeable(standing_order):
        return None
    messages.error(
        request, f"This standing order is {standing_order.get_status_display().lower()}; it can no longer be changed."
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
                messages.success(request, "Items changed for every future order.")
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
                messages.success(request, "Delivery and payment changed for every future order.")
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
                )
            except DomainError as exc:
                _show_error(exc, form)
            else:
                messages.success(request, "Schedule changed; the next dates follow the new one.")
                return _done(scope, standing_order)
        status = 400
    return render(
        request,
        "storefront/standing_orders/edit_schedule.html",
        {"scope": scope, "layout": scope.layout, "so": standing_order, "form": form, "weekdays": WEEKDAY_NAMES},
        status=status,
    )


# --- Customer pages ---


@login_required
@require_GET
def standing_order_list(request):
    organization = _organization(request)
    status = request.GET.get("status", "")
    if status not in StandingOrder.Status.values:
        status = ""
    page = Paginator(
        standing_orders_for_organization(organization=organization, status=status or None), PAGE_SIZE
    ).get_page(request.GET.get("page"))
    rows = list(page.object_list)
    next_dates = next_order_dates(standing_orders=rows)
    return render(
        request,
        "storefront/standing_orders/list.html",
        {
            "organization": organization,
            "page": page,
            "rows": [(so, schedule_in_words(so), next_dates.get(so.pk)) for so in rows],
            "status": status,
            "statuses": STATUS_CHOICES,
            "page_query": f"status={status}" if status else "",
        },
    )


def _new_initial(organization: Organization) -> dict:
    tomorrow = clock.today(organization.timezone) + dt.timedelta(days=1)
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
        "timezone": organization.timezone,
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


def new_page(request, scope: Scope, organization: Organization, *, form_action: str, back_url: str):
    """Set up a standing order for `organization`: a customer for their own, or staff on the customer's behalf."""
    initial = _new_initial(organization)
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
                who = f"{organization.name}'s" if scope.staff else "Your"
                messages.success(request, f"{who} standing order is set up. These are its next dates.")
                return redirect(f"{scope.ns}:standing_order_detail", public_id=standing_order.public_id)
        status = 400
    else:
        lines = LinesInput(rows=_cart_rows(request, organization) if from_cart else [])
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
        },
        status=status,
    )


@login_required
@require_http_methods(["GET", "POST"])
def standing_order_new(request):
    return new_page(
        request,
        CUSTOMER,
        _organization(request),
        form_action=reverse("storefront:standing_order_new"),
        back_url=reverse("storefront:standing_orders"),
    )


@login_required
@require_GET
def standing_order_detail(request, public_id: str):
    return detail_page(request, CUSTOMER, _customer_standing_order(request, public_id))


@login_required
@require_POST
def standing_order_skip(request, public_id: str):
    return skip_action(request, CUSTOMER, _customer_standing_order(request, public_id))


@login_required
@require_POST
def standing_order_unskip(request, public_id: str):
    return skip_action(request, CUSTOMER, _customer_standing_order(request, public_id), unskip=True)


@login_required
@require_POST
def standing_order_pause(request, public_id: str):
    return pause_action(request, CUSTOMER, _customer_standing_order(request, public_id))


@login_required
@require_POST
def standing_order_resume(request, public_id: str):
    return resume_action(request, CUSTOMER, _customer_standing_order(request, public_id))


@login_required
@require_http_methods(["GET", "POST"])
def standing_order_cancel(request, public_id: str):
    return cancel_page(request, CUSTOMER, _customer_standing_order(request, public_id))


@login_required
@require_http_methods(["GET", "POST"])
def standing_order_edit_lines(request, public_id: str):
    return edit_lines_page(request, CUSTOMER, _customer_standing_order(request, public_id))


@login_required
@require_http_methods(["GET", "POST"])
def standing_order_edit_delivery(request, public_id: str):
    return edit_delivery_page(request, CUSTOMER, _customer_standing_order(request, public_id))


@login_required
@require_http_methods(["GET", "POST"])
def standing_order_edit_schedule(request, public_id: str):
    return edit_schedule_page(request, CUSTOMER, _customer_standing_order(request, public_id))
