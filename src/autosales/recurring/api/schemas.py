"""The request and response bodies of the standing-orders API (ninja schemas) and the limits they check."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from ninja import Field, Schema
from pydantic import StrictBool

from autosales.catalog.api import MoneyOut
from autosales.core.http.fields import Quantity
from autosales.recurring.models import StandingOrder
from autosales.recurring.schedule import WEEKDAY_NAMES
from autosales.recurring.selectors import FORECAST_WEEKS
from autosales.recurring.services import MAX_NOTICE_DAYS, MAX_QUANTITY, MAX_RETRY_DAYS

MAX_LINES = 500
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
    move_to_working_day: StrictBool | None = Field(
        None,
        description=(
            "true: a date on a weekend or a public holiday (of the distribution centers' regions) is ordered for the "
            "next working day instead, unless that is on or after the schedule's next date. Omit to keep the "
            "standing order's setting (false for a new one)."
        ),
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
    date: dt.date = Field(description="The date in the schedule: skip and un-skip it by this date.")
    moved_to: dt.date | None = Field(
        None, description="The working day its order was moved to from a weekend or holiday date; null: not moved."
    )
    due_at: dt.datetime
    status: str = Field(description="scheduled, placed, retrying, failed or skipped")
    skipped: bool
    skip_reason: str
    order_number: str
    estimated_total: MoneyOut | None = Field(description="At today's prices; null when skipped or not priced.")
    ships_on: dt.date | None = Field(None, description="When its order ships (placed at due_at); null: no promise.")
    arrives_from: dt.date | None = Field(None, description="First day of the promised delivery window.")
    arrives_to: dt.date | None = Field(
        None, description="Last day of the promised delivery window (on or before date)."
    )


class RunOut(Schema):
    date: dt.date
    moved_to: dt.date | None = Field(None, description="The working day its order was moved to, if it was.")
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
    move_to_working_day: bool = Field(description="Weekend and holiday dates move to the next working day.")
    paused_until: dt.date | None
    next_date: dt.date | None = Field(
        description=(
            "The next date an order will be placed (skips and pauses applied): the schedule's date, whose order may "
            "be moved to the next working day (see upcoming[].moved_to)."
        )
    )
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
