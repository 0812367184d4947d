from django.db import models
from django.db.models import Q

from autosales.core import ids
from autosales.core.models import BaseModel
from autosales.core.money import CurrencyField, Money, MoneyField


class PaymentStatus(models.TextChoices):
    # Sent to the gateway; the answer is not known yet (or was lost on the way back).
    PENDING = "pending", "Pending"
    AUTHORIZED = "authorized", "Authorized"
    CAPTURED = "captured", "Captured"
    VOIDED = "voided", "Voided"
    REFUNDED = "refunded", "Refunded"
    FAILED = "failed", "Failed"


class Payment(BaseModel):
    """A card payment at a provider. Holds the provider's reference, never a card number or CVV.

    Its status changes only through `payments.transitions.payment_transition`.
    """

    public_id = models.CharField(max_length=32, unique=True, default=ids.public_id, editable=False)
    order = models.ForeignKey("orders.Order", null=True, blank=True, on_delete=models.SET_NULL, related_name="payments")
    provider = models.CharField(max_length=20)
    provider_reference = models.CharField(max_length=255, blank=True, db_index=True)
    amount = MoneyField()
    currency = CurrencyField()
    amount_refunded = MoneyField(default=0)
    status = models.CharField(max_length=12, choices=PaymentStatus.choices, default=PaymentStatus.PENDING)
    # The key sent to the gateway: the same checkout submission always sends the same key.
    idempotency_key = models.CharField(max_length=255, unique=True)
    # The gateway's one-time token for the card (never the card number): needed to re-send an
    # authorization whose answer was lost, with the same idempotency key.
    token = models.CharField(max_length=255, blank=True)
    error_code = models.CharField(max_length=32, blank=True)
    last_error = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gte=0), name="payment_amount_not_negative"),
            models.CheckConstraint(
                condition=Q(amount_refunded__gte=0) & Q(amount_refunded__lte=models.F("amount")),
                name="payment_refund_within_amount",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.provider} {self.provider_reference or self.idempotency_key} {self.status}"

    @property
    def money(self) -> Money:
        return Money(self.amount, self.currency)


class PaymentEvent(BaseModel):
    """A webhook event received from a provider; the unique event id makes a redelivery a no-op."""

    class Outcome(models.TextChoices):
        APPLIED = "applied", "Applied"
        IGNORED = "ignored", "Ignored (already in that state or later)"
        UNKNOWN_PAYMENT = "unknown_payment", "No such payment"

    provider = models.CharField(max_length=20)
    event_id = models.CharField(max_length=255)
    kind = models.CharField(max_length=40)
    provider_reference = models.CharField(max_length=255, blank=True)
    payment = models.ForeignKey(Payment, null=True, blank=True, on_delete=models.SET_NULL, related_name="events")
    outcome = models.CharField(max_length=20, choices=Outcome.choices)
    payload = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["provider", "event_id"], name="payment_event_once_per_provider")]

    def __str__(self) -> str:
        return f"{self.provider} {self.event_id} {self.kind}"


class TestGatewayCharge(BaseModel):
    """The built-in test gateway's own ledger, kept apart from our payments as a remote gateway's would be."""

    __test__ = False  # not a pytest test class, despite the name

    class Status(models.TextChoices):
        LOST = "lost", "Request lost before it arrived"
        DECLINED = "declined", "Declined"
        AUTHORIZED = "authorized", "Authorized"
        CAPTURED = "captured", "Captured"
        VOIDED = "voided", "Voided"
        REFUNDED = "refunded", "Refunded"

    reference = models.CharField(max_length=40, unique=True)
    idempotency_key = models.CharField(max_length=255, unique=True)
    token = models.CharField(max_length=64)
    amount = MoneyField()
    currency = CurrencyField()
    amount_refunded = MoneyField(default=0)
    status = models.CharField(max_length=12, choices=Status.choices)
    decline_code = models.CharField(max_length=32, blank=True)
    metadata = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.reference} {self.status}"
