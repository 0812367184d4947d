from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from django_countries.fields import CountryField

from autosales.catalog.models import Variant
from autosales.core import ids
from autosales.core.models import BaseModel
from autosales.core.money import CurrencyField, Money, MoneyField
from autosales.customers.models import Organization
from autosales.inventory.delivery_dates import date_words
from autosales.inventory.models import StockLevel
from autosales.orders.confirmation_numbers import confirmation_number_display, confirmation_number_new
from autosales.pricing.shipping import ShippingMethod


class OrderStatus(models.TextChoices):
    # Stock is reserved and the card is being authorized; not yet an order the customer or staff see.
    PENDING_PAYMENT = "pending_payment", pgettext_lazy("order status", "Awaiting payment")
    PLACED = "placed", pgettext_lazy("order status", "Placed")
    PAID = "paid", pgettext_lazy("order status", "Paid")
    ON_ACCOUNT = "on_account", pgettext_lazy("order status", "On account")
    PARTIALLY_SHIPPED = "partially_shipped", pgettext_lazy("order status", "Partially shipped")
    SHIPPED = "shipped", pgettext_lazy("order status", "Shipped")
    DELIVERED = "delivered", pgettext_lazy("order status", "Delivered")
    CANCELLED = "cancelled", pgettext_lazy("order status", "Cancelled")
    REFUNDED = "refunded", pgettext_lazy("order status", "Refunded")


class PaymentKind(models.TextChoices):
    CARD = "card", _("Card")
    ACCOUNT = "account", _("Charge to account")


class OrderSource(models.TextChoices):
    WEB = "web", _("Web store")
    API = "api", _("API")
    STANDING_ORDER = "standing_order", _("Standing order")


class Order(BaseModel):
    """A customer's order. Its status changes only through `orders.transitions.order_transition`."""

    public_id = models.CharField(max_length=32, unique=True, default=ids.public_id, editable=False)
    number = models.CharField(
        "confirmation number", max_length=16, unique=True, default=confirmation_number_new, editable=False
    )
    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="orders")
    placed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="orders_placed"
    )
    status = models.CharField(
        max_length=20, choices=OrderStatus.choices, default=OrderStatus.PENDING_PAYMENT, db_index=True
    )
    source = models.CharField(max_length=20, choices=OrderSource.choices, default=OrderSource.WEB)
    payment_kind = models.CharField(max_length=10, choices=PaymentKind.choices)
    currency = CurrencyField()
    subtotal = MoneyField()
    shipping = MoneyField()
    tax = MoneyField()
    total = MoneyField()
    tax_name = models.CharField(max_length=120, blank=True)
    # Delivery address as it was when the order was placed: the address book may change later.
    ship_name = models.CharField("recipient", max_length=200)
    ship_company = models.CharField(max_length=200, blank=True)
    ship_line1 = models.CharField("address line 1", max_length=200)
    ship_line2 = models.CharField("address line 2", max_length=200, blank=True)
    ship_city = models.CharField(max_length=100)
    ship_region = models.CharField("state / region", max_length=100, blank=True)
    ship_postal_code = models.CharField(max_length=20)
    ship_country = CountryField()
    ship_phone = models.CharField(max_length=32, blank=True)
    shipping_method = models.ForeignKey(
        ShippingMethod, null=True, blank=True, on_delete=models.SET_NULL, related_name="orders"
    )
    shipping_method_code = models.CharField(max_length=40)
    shipping_method_name = models.CharField(max_length=120)
    customer_reference = models.CharField("PO / reference", max_length=100, blank=True)
    idempotency_key = models.CharField(max_length=255, blank=True)
    request_hash = models.CharField(max_length=64, blank=True)
    standing_order_run_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    # Delivery dates as promised when placed (inventory/delivery_dates.py); empty when no promise could be made.
    requested_delivery_date = models.DateField(null=True, blank=True, help_text="Asked for by the customer")
    ships_on = models.DateField(null=True, blank=True, help_text="The day it is promised to leave the warehouse")
    arrives_from = models.DateField(null=True, blank=True)
    arrives_to = models.DateField(null=True, blank=True)
    placed_at = models.DateTimeField(null=True, blank=True, db_index=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    cancel_reason = models.TextField(blank=True)
    # What billing has invoiced of the order so far (lines, their share of tax, shipping); what is left of an
    # open account order counts towards the credit limit until it is invoiced.
    invoiced_total = MoneyField(default=0)

    class Meta:
        ordering = ["-placed_at", "-id"]
        indexes = [
            models.Index(fields=["organization", "status", "placed_at"]),
            # The fulfillment queue: open orders, oldest promise first (PostgreSQL's ascending order puts the
            # orders without a promise last, as the queue does), walked in order so a page reads only its rows.
            models.Index(
                fields=["ships_on", "placed_at", "id"],
                condition=Q(status__in=["placed", "paid", "on_account", "partially_shipped"]),
                name="order_open_by_promise",
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "idempotency_key"],
                condition=~Q(idempotency_key=""),
                name="order_one_per_idempotency_key",
            ),
            models.CheckConstraint(
                condition=Q(subtotal__gte=0) & Q(shipping__gte=0) & Q(tax__gte=0) & Q(total__gte=0),
                name="order_amounts_not_negative",
            ),
        ]

    def __str__(self) -> str:
        return f"Order {self.number_display}"

    @property
    def number_display(self) -> str:
        return confirmation_number_display(self.number)

    @property
    def subtotal_money(self) -> Money:
        return Money(self.subtotal, self.currency)

    @property
    def shipping_money(self) -> Money:
        return Money(self.shipping, self.currency)

    @property
    def tax_money(self) -> Money:
        return Money(self.tax, self.currency)

    @property
    def total_money(self) -> Money:
        return Money(self.total, self.currency)

    @property
    def arrival_window_display(self) -> str:
        """ "Tue, Mar 3 – Thu, Mar 5" (one date when the window is one day); empty without a promise."""
        if self.arrives_from is None or self.arrives_to is None:
            return ""
        if self.arrives_from == self.arrives_to:
            return date_words(self.arrives_from)
        return f"{date_words(self.arrives_from)} – {date_words(self.arrives_to)}"

    def address_lines(self) -> list[str]:
        city = " ".join(p for p in [self.ship_city, self.ship_region, self.ship_postal_code] if p)
        rows = [self.ship_name, self.ship_company, self.ship_line1, self.ship_line2, city, self.ship_country.name]
        return [r for r in rows if r]

    def get_absolute_url(self) -> str:
        return f"/orders/{self.public_id}/"


class OrderLine(BaseModel):
    """One variant on an order, with its SKU, name and price as they were when ordered."""

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="lines")
    variant = models.ForeignKey(Variant, null=True, on_delete=models.SET_NULL, related_name="order_lines")
    sku = models.CharField("SKU", max_length=64, db_index=True)
    name = models.CharField(max_length=420)
    quantity = models.PositiveIntegerField()
    unit_price = MoneyField()
    line_total = MoneyField()
    quantity_shipped = models.PositiveIntegerField(default=0)
    # Units ordered that no warehouse could promise yet: allocated when stock is received (fulfillment).
    quantity_backordered = models.PositiveIntegerField(default=0)
    # Units that will never ship: the unshipped remainder was cancelled.
    quantity_cancelled = models.PositiveIntegerField(default=0)
    # Units billed on an invoice (billing writes it in the invoice's transaction); never more than ordered.
    quantity_invoiced = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gte=1), name="order_line_quantity_positive"),
            models.CheckConstraint(
                condition=Q(quantity_shipped__lte=models.F("quantity")), name="order_line_not_overshipped"
            ),
            models.CheckConstraint(
                condition=Q(
                    quantity__gte=models.F("quantity_shipped")
                    + models.F("quantity_backordered")
                    + models.F("quantity_cancelled")
                ),
                name="order_line_parts_within_quantity",
            ),
            models.CheckConstraint(
                condition=Q(quantity_invoiced__lte=models.F("quantity")), name="order_line_not_overinvoiced"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.quantity} × {self.sku}"

    @property
    def quantity_open(self) -> int:
        """Units still to ship: neither shipped nor cancelled (allocated or backordered)."""
        return self.quantity - self.quantity_shipped - self.quantity_cancelled

    @property
    def unit_price_money(self) -> Money:
        return Money(self.unit_price, self.order.currency)

    @property
    def line_total_money(self) -> Money:
        return Money(self.line_total, self.order.currency)


class OrderAllocation(BaseModel):
    """Units of an order line promised from one warehouse's stock until they ship or are released."""

    line = models.ForeignKey(OrderLine, on_delete=models.CASCADE, related_name="allocations")
    stock_level = models.ForeignKey(StockLevel, on_delete=models.PROTECT, related_name="order_allocations")
    quantity = models.PositiveIntegerField()

    class Meta:
        ordering = ["id"]
        constraints = [models.CheckConstraint(condition=Q(quantity__gte=1), name="order_allocation_positive")]

    def __str__(self) -> str:
        return f"{self.quantity} of line {self.line_id} from stock {self.stock_level_id}"


class OrderEvent(BaseModel):
    """The audit trail of an order: what happened, who did it, when."""

    class Kind(models.TextChoices):
        CREATED = "created", "Created"
        STATUS_CHANGED = "status_changed", "Status changed"
        PAYMENT = "payment", "Payment"
        STOCK_RELEASED = "stock_released", "Stock released"
        EMAIL_QUEUED = "email_queued", "Email queued"
        NOTE = "note", "Note"
        ALLOCATED = "allocated", "Stock allocated"
        BACKORDERED = "backordered", "Backordered"
        SHIPPED = "shipped", "Shipment sent"
        DELIVERED = "delivered", "Shipment delivered"
        REMAINDER_CANCELLED = "remainder_cancelled", "Unshipped remainder cancelled"

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    data = models.JSONField(default=dict, blank=True)
    at = models.DateTimeField(db_index=True)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.order_id} {self.kind} {self.at:%Y-%m-%d %H:%M}"
