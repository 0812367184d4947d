import datetime as dt

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from autosales.catalog.models import Variant
from autosales.core import ids
from autosales.core.models import BaseModel
from autosales.customers.models import Address, Organization
from autosales.jobs.claims import Claimable
from autosales.recurring.schedule import Schedule


class StandingOrder(BaseModel):
    """An order that repeats on a schedule until further notice (or an end date, or N orders)."""

    class Status(models.TextChoices):
        ACTIVE = "active", pgettext_lazy("standing order status", "Active")
        PAUSED = "paused", pgettext_lazy("standing order status", "Paused")
        CANCELLED = "cancelled", pgettext_lazy("standing order status", "Cancelled")
        ENDED = "ended", pgettext_lazy("standing order status", "Ended")

    class PaymentKind(models.TextChoices):
        CARD = "card", _("Card on file")
        ACCOUNT = "account", _("Vendor account")

    class StockPolicy(models.TextChoices):
        BACKORDER = "backorder", _("Ship what is available, backorder the rest")
        RETRY = "retry", _("Wait and retry daily")

    public_id = models.CharField(max_length=32, unique=True, default=ids.public_id, editable=False)
    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="standing_orders")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    name = models.CharField(max_length=120, blank=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.ACTIVE, db_index=True)

    rule = models.CharField("repeat rule (RFC 5545 RRULE)", max_length=500)
    start_date = models.DateField()
    end_date = models.DateField(null=True, blank=True)
    max_occurrences = models.PositiveIntegerField(null=True, blank=True)
    timezone = models.CharField(max_length=64, default="UTC")
    run_time = models.TimeField(default=dt.time(6, 0), help_text="Local time the order is placed on each date")
    paused_until = models.DateField(null=True, blank=True, help_text="Empty while paused: until resumed")
    # A date that is not a delivery day (a weekend, a public holiday of the centers' regions) is ordered for the
    # next delivery day instead (Schedule.moved_to); the run keeps its own date as its identity.
    move_to_working_day = models.BooleanField(
        default=False, help_text="If a date falls on a weekend or holiday, move it to the next working day"
    )

    shipping_address = models.ForeignKey(Address, on_delete=models.SET_NULL, null=True, related_name="+")
    shipping_method = models.ForeignKey(
        "pricing.ShippingMethod", on_delete=models.SET_NULL, null=True, related_name="+"
    )
    payment_kind = models.CharField(max_length=16, choices=PaymentKind.choices)
    # A reusable token of the payment gateway for the card on file; never a card number.
    payment_token = models.CharField(max_length=255, blank=True)
    # That card, saved at the gateway for charges made while the customer is away (off-session).
    payment_method = models.ForeignKey(
        "payments.PaymentMethodOnFile", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    notice_days = models.PositiveSmallIntegerField(default=3)
    stock_policy = models.CharField(max_length=16, choices=StockPolicy.choices, default=StockPolicy.BACKORDER)
    stock_retry_days = models.PositiveSmallIntegerField(default=3)

    # The scheduler's bookmark: every occurrence on or before this date has its run row.
    materialized_through = models.DateField(null=True, blank=True)
    # When the next occurrence not yet materialized is due (UTC), so the scheduler reads an index, not rules.
    next_materialize_at = models.DateTimeField(null=True, blank=True, db_index=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["status", "next_materialize_at"])]

    def __str__(self) -> str:
        return self.name or f"Standing order {self.public_id[:8]}"

    def paused_on(self, day: dt.date) -> bool:
        """Whether a pause covers the occurrence on `day` (paused until resumed, or until a later date)."""
        return self.status == self.Status.PAUSED and (self.paused_until is None or day < self.paused_until)

    @property
    def schedule(self) -> Schedule:
        return Schedule(
            rule=self.rule,
            start=self.start_date,
            timezone=self.timezone,
            run_time=self.run_time,
            end_date=self.end_date,
            max_occurrences=self.max_occurrences,
        )


class StandingOrderLine(BaseModel):
    standing_order = models.ForeignKey(StandingOrder, on_delete=models.CASCADE, related_name="lines")
    variant = models.ForeignKey(Variant, on_delete=models.PROTECT, related_name="+")
    quantity = models.PositiveIntegerField()

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["standing_order", "variant"], name="standing_order_line_unique"),
            models.CheckConstraint(condition=Q(quantity__gt=0), name="standing_order_line_quantity_positive"),
        ]


class Run(Claimable, BaseModel):
    """One occurrence of a standing order: exactly one row per standing order and date, at most one order."""

    class Kind(models.TextChoices):
        OCCURRENCE = "occurrence", _("Scheduled order")
        BACKORDER = "backorder", _("Backorder of the rest")

    class Status(models.TextChoices):
        SCHEDULED = "scheduled", pgettext_lazy("standing order run status", "Scheduled")
        PLACED = "placed", pgettext_lazy("standing order run status", "Placed")
        RETRYING = "retrying", pgettext_lazy("standing order run status", "Waiting to retry")
        FAILED = "failed", pgettext_lazy("standing order run status", "Failed")
        SKIPPED = "skipped", pgettext_lazy("standing order run status", "Skipped")

    standing_order = models.ForeignKey(StandingOrder, on_delete=models.CASCADE, related_name="runs")
    kind = models.CharField(max_length=16, choices=Kind.choices, default=Kind.OCCURRENCE)
    # The occurrence's date in the rule: its identity, whatever day its order is for.
    scheduled_for = models.DateField()
    # The delivery day the order of a weekend or holiday date was moved to (the standing order's
    # move_to_working_day); empty: the order is for `scheduled_for` itself.
    moved_to = models.DateField(null=True, blank=True)
    due_at = models.DateTimeField()
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.SCHEDULED)
    skip_reason = models.CharField(max_length=200, blank=True)
    order = models.OneToOneField(
        "orders.Order", on_delete=models.SET_NULL, null=True, blank=True, related_name="standing_order_run"
    )
    late = models.BooleanField(default=False, help_text="Processed after its due time (the scheduler was down)")
    # Definitive failures so far (a decline, the last try for stock); they step through the dunning schedule.
    failures = models.PositiveSmallIntegerField(default=0)
    # The checkout try this run is on, part of its idempotency key: it moves on when a try has ended (declined,
    # expired, refused for stock), never after a crash or a lost answer, so those retries cannot order twice.
    try_number = models.PositiveIntegerField(default=0)
    # What the current try sends to checkout (lines, address, shipping, payment, reference), taken when the try
    # starts, so an edit of the standing order between two sends of one try does not change its request.
    request = models.JSONField(null=True, blank=True)
    # When the current spell of passing problems (lost gateway answers, a checkout in progress) began.
    retrying_since = models.DateTimeField(null=True, blank=True)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    failure_code = models.CharField(max_length=64, blank=True)
    # The payment of the last try that the bank wants the customer to confirm; once confirmed, the next try uses it.
    action_payment = models.ForeignKey(
        "payments.Payment", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    backordered = models.JSONField(default=list, blank=True)
    lines = models.JSONField(default=list, blank=True, help_text="Lines of a backorder run: variant ids and quantities")
    notice_sent_at = models.DateTimeField(null=True, blank=True)
    processed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["scheduled_for"]
        constraints = [
            models.UniqueConstraint(fields=["standing_order", "scheduled_for", "kind"], name="run_once_per_date"),
        ]
        indexes = [models.Index(fields=["status", "next_attempt_at"])]

    def __str__(self) -> str:
        return f"{self.standing_order} on {self.scheduled_for}: {self.status}"

    @property
    def delivery_date(self) -> dt.date:
        """The day the order of this occurrence is for: its date, or the working day it was moved to."""
        return self.moved_to or self.scheduled_for


class Change(BaseModel):
    """Who changed a standing order, when, and how."""

    standing_order = models.ForeignKey(StandingOrder, on_delete=models.CASCADE, related_name="changes")
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    kind = models.CharField(max_length=32)
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
