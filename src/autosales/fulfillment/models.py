"""Shipments (what left a distribution center, with which carrier and tracking number) and stock receipts.

A shipment's status changes only through `fulfillment.transitions.shipment_transition`.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import pgettext_lazy

from autosales.core import ids
from autosales.core.models import BaseModel
from autosales.core.money import CurrencyField, Money, MoneyField
from autosales.fulfillment.carriers import carriers
from autosales.inventory.models import Warehouse
from autosales.orders.models import Order, OrderLine
from autosales.payments.models import Payment


class ShipmentStatus(models.TextChoices):
    SHIPPED = "shipped", pgettext_lazy("shipment status", "Shipped")
    DELIVERED = "delivered", pgettext_lazy("shipment status", "Delivered")


class CaptureStatus(models.TextChoices):
    # Nothing to take at this shipment: an account order, or the card money was taken at order.
    NONE = "none", "Not captured at shipment"
    PENDING = "pending", "To capture"
    CAPTURED = "captured", "Captured"


class Shipment(BaseModel):
    """Units of one order that left one distribution center together, with the carrier's tracking number."""

    public_id = models.CharField(max_length=32, unique=True, default=ids.public_id, editable=False)
    # "SH-" + the order's confirmation number + the shipment's place among the order's shipments.
    number = models.CharField(max_length=32, unique=True, editable=False)
    order = models.ForeignKey(Order, on_delete=models.PROTECT, related_name="shipments")
    warehouse = models.ForeignKey(Warehouse, on_delete=models.PROTECT, related_name="shipments")
    status = models.CharField(max_length=12, choices=ShipmentStatus.choices, default=ShipmentStatus.SHIPPED)
    carrier = models.CharField(max_length=20)
    tracking_number = models.CharField(max_length=64)
    # The carrier's tracking page as the shipping email linked it (from the carrier's template when it shipped).
    tracking_url = models.URLField(max_length=500, blank=True)
    parcels = models.PositiveSmallIntegerField(default=1)
    weight_grams = models.PositiveIntegerField(null=True, blank=True)
    shipped_at = models.DateTimeField(db_index=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    idempotency_key = models.CharField(max_length=255, blank=True)
    request_hash = models.CharField(max_length=64, blank=True)
    # Card orders of a shop that captures at shipment: what this shipment's goods cost (see fulfillment.capture).
    payment = models.ForeignKey(Payment, null=True, blank=True, on_delete=models.SET_NULL, related_name="shipments")
    capture_status = models.CharField(max_length=10, choices=CaptureStatus.choices, default=CaptureStatus.NONE)
    capture_amount = MoneyField(default=0)
    currency = CurrencyField()
    captured_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["shipped_at", "id"]
        indexes = [
            models.Index(fields=["capture_status"], condition=Q(capture_status="pending"), name="ship_capture_due")
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["idempotency_key"], condition=~Q(idempotency_key=""), name="shipment_one_per_idempotency_key"
            ),
            models.CheckConstraint(condition=Q(parcels__gte=1), name="shipment_parcels_positive"),
            models.CheckConstraint(condition=Q(capture_amount__gte=0), name="shipment_capture_not_negative"),
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def carrier_name(self) -> str:
        carrier = carriers().get(self.carrier)
        return carrier.name if carrier else self.carrier.upper()

    @property
    def capture_money(self) -> Money:
        return Money(self.capture_amount, self.currency)


class ShipmentLine(BaseModel):
    shipment = models.ForeignKey(Shipment, on_delete=models.CASCADE, related_name="lines")
    order_line = models.ForeignKey(OrderLine, on_delete=models.PROTECT, related_name="shipment_lines")
    quantity = models.PositiveIntegerField()

    class Meta:
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gte=1), name="shipment_line_quantity_positive"),
            models.UniqueConstraint(fields=["shipment", "order_line"], name="shipment_line_once_per_order_line"),
        ]

    def __str__(self) -> str:
        return f"{self.quantity} of line {self.order_line_id}"


class StockReceipt(BaseModel):
    """Goods in: units received at a distribution center (a delivery from a supplier, a return to stock)."""

    public_id = models.CharField(max_length=32, unique=True, default=ids.public_id, editable=False)
    warehouse = models.ForeignKey(Warehouse, on_delete=models.PROTECT, related_name="receipts")
    reference = models.CharField(max_length=100, blank=True, help_text="The supplier's delivery note or PO number")
    received_at = models.DateTimeField(db_index=True)
    received_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # A warehouse system's retry of the same receipt (or a file imported again) receives nothing twice.
    idempotency_key = models.CharField(max_length=255, blank=True)
    request_hash = models.CharField(max_length=64, blank=True)

    class Meta:
        ordering = ["-received_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["idempotency_key"], condition=~Q(idempotency_key=""), name="receipt_one_per_idempotency_key"
            )
        ]

    def __str__(self) -> str:
        return f"Receipt {self.reference or self.public_id} at {self.warehouse_id}"


class StockReceiptLine(BaseModel):
    receipt = models.ForeignKey(StockReceipt, on_delete=models.CASCADE, related_name="lines")
    variant = models.ForeignKey("catalog.Variant", on_delete=models.PROTECT, related_name="receipt_lines")
    quantity = models.PositiveIntegerField()
    # Of these units, how many went to orders that were waiting for them (backorders).
    allocated_to_backorders = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["id"]
        constraints = [models.CheckConstraint(condition=Q(quantity__gte=1), name="receipt_line_quantity_positive")]

    def __str__(self) -> str:
        return f"{self.quantity} of variant {self.variant_id}"


class CenterAssignment(BaseModel):
    """The distribution centers a staff user works for. A user with none works for every center."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="fulfillment_centers")
    warehouse = models.ForeignKey(Warehouse, on_delete=models.CASCADE, related_name="assigned_staff")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "warehouse"], name="center_assignment_once")]

    def __str__(self) -> str:
        return f"{self.user_id} at {self.warehouse_id}"
