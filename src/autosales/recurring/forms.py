"""Standing-order forms, shared by the store and the back office: the schedule, the delivery and payment
terms, and the item rows (a SKU and a quantity, repeated). They check the shape of the input; the services
check the rules."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django import forms
from django.utils.dates import WEEKDAYS
from django.utils.functional import lazy
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from autosales.catalog.models import Variant
from autosales.checkout.selectors import payment_options_for, shipping_methods_for
from autosales.core.errors import DomainError
from autosales.core.timezones import zone_choices
from autosales.customers.models import Address, Organization
from autosales.customers.selectors import addresses_for_organization
from autosales.payments.forms import CardTokenField
from autosales.pricing.shipping import ShippingMethod
from autosales.recurring.models import StandingOrder
from autosales.recurring.schedule import (
    ScheduleError,
    day_of_month_words,
    rule_for,
    rule_parts,
    rule_validate,
)
from autosales.recurring.services import MAX_NOTICE_DAYS, MAX_QUANTITY, MAX_RETRY_DAYS, LineIn

MAX_LINE_ROWS = 200


class DateInput(forms.DateInput):
    input_type = "date"

    def format_value(self, value):
        return value.isoformat() if isinstance(value, dt.date) else value


class ScheduleForm(forms.Form):
    """When the orders repeat: every N weeks on a weekday, every N months on a day, or an RRULE; start; end."""

    # Shown as one sentence, "Every [2] [months] on the [29th]": the unit's choice decides which "on" is used,
    # and the custom rule sits behind an "advanced" toggle.
    interval = forms.ChoiceField(
        label=_("Repeat"),
        choices=[("week", _("week(s)")), ("month", _("month(s)")), ("custom", _("custom rule (advanced)"))],
        widget=forms.Select(attrs={"aria-label": _("Weeks, months or a custom rule"), "data-repeat-unit": ""}),
    )
    every = forms.IntegerField(
        label=_("Every"),
        min_value=1,
        max_value=52,
        required=False,
        widget=forms.NumberInput(attrs={"class": "so-every", "aria-label": _("Every how many weeks or months")}),
    )
    weekday = forms.TypedChoiceField(
        label=_("On"),
        coerce=int,
        choices=list(WEEKDAYS.items()),
        required=False,
        empty_value=None,
        widget=forms.Select(attrs={"aria-label": _("On which weekday")}),
    )
    day_of_month = forms.IntegerField(
        label=_("On the"),
        min_value=1,
        max_value=31,
        required=False,
        widget=forms.Select(
            choices=[(n, lazy(day_of_month_words, str)(n)) for n in range(1, 32)],
            attrs={"aria-label": _("On which day of the month")},
        ),
        help_text=_("The 29th to the 31st fall on the last day of shorter months."),
    )
    rule = forms.CharField(
        label="RRULE", max_length=500, required=False, help_text=_("e.g. FREQ=MONTHLY;BYDAY=1MO (the first Monday)")
    )
    start_date = forms.DateField(label=_("First date"), widget=DateInput)
    end = forms.ChoiceField(
        label=_("Ends"),
        choices=[
            ("never", _("Until further notice")),
            ("date", _("On a date")),
            ("count", _("After a number of orders")),
        ],
        widget=forms.RadioSelect,
    )
    end_date = forms.DateField(label=_("Last date"), required=False, widget=DateInput)
    max_occurrences = forms.IntegerField(label=_("Number of orders"), min_value=1, max_value=1000, required=False)
    timezone = forms.ChoiceField(label=_("Time zone"), choices=zone_choices)
    move_to_working_day = forms.BooleanField(
        label=_("If a date falls on a weekend or holiday, move it to the next working day"),
        required=False,
        help_text=_(
            "Carriers deliver Monday to Friday, except public holidays. A date is not moved past the next date of "
            "the schedule (an order every day keeps its weekend dates)."
        ),
    )

    def clean(self):
        data = super().clean()
        interval = data.get("interval")
        try:
            if interval in ("week", "month"):
                if data.get("every") is None and "every" not in self.errors:
                    self.add_error("every", _("Enter how many weeks or months apart the orders are."))
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
            self.add_error("end_date", _("Enter the last date, or choose another end."))
        if end == "count" and data.get("max_occurrences") is None and "max_occurrences" not in self.errors:
            self.add_error("max_occurrences", _("Enter the number of orders, or choose another end."))
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
            "move_to_working_day": standing_order.move_to_working_day,
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

    name = forms.CharField(label=_("Name (optional)"), max_length=120, required=False)
    shipping_address = forms.ChoiceField(label=_("Deliver to"))
    shipping_method = forms.ChoiceField(label=_("Shipping method"))
    payment_kind = forms.ChoiceField(
        label=_("Payment"), choices=StandingOrder.PaymentKind.choices, widget=forms.RadioSelect
    )
    payment_token = CardTokenField()
    notice_days = forms.IntegerField(
        label=_("Advance notice (days before each order)"), min_value=0, max_value=MAX_NOTICE_DAYS
    )
    stock_policy = forms.ChoiceField(
        label=_("When stock is short"), choices=StandingOrder.StockPolicy.choices, widget=forms.RadioSelect
    )
    stock_retry_days = forms.IntegerField(label=_("Retry for (days)"), min_value=1, max_value=MAX_RETRY_DAYS)

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
            row.error = gettext("Enter the SKU of the item.")
            continue
        variant = found.get(row.sku)
        if variant is None:
            row.error = gettext("No product has the SKU %(sku)s.") % {"sku": repr(row.sku)}
            continue
        row.name = f"{variant.product.name} {variant.name}".strip()
        try:
            quantity = int(row.quantity)
        except ValueError:
            row.error = gettext("The quantity must be a whole number from 1 to %(max)s.") % {"max": f"{MAX_QUANTITY:,}"}
            continue
        if quantity == 0:
            continue
        if not 1 <= quantity <= MAX_QUANTITY:
            row.error = gettext("The quantity must be a whole number from 1 to %(max)s.") % {"max": f"{MAX_QUANTITY:,}"}
            continue
        result.lines.append(LineIn(variant_id=variant.pk, quantity=quantity))
        result.row_of.append(index)
    if result.valid and not result.lines:
        result.error = gettext("Add at least one item: a SKU and a quantity.")
    return result
