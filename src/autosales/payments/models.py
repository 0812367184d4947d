from django.db import models
from django.db.models import Q

from autosales.core import ids
from autosales.core.models import BaseModel
from autosales.core.money import CurrencyField, Money, MoneyField


class PaymentStatus(models.TextChoices):
    # Sent to the gateway; the answer is not known yet (or was lost on the way back).
    PENDING = "pending", "Pending"
    # The bank wants the customer to confirm it (3-D Secure) before anything is held.
    ACTION_REQUIRED = "action_required", "Waiting for the customer's confirmation"
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
    status = models.CharField(max_length=16, choices=PaymentStatus.choices, default=PaymentStatus.PENDING)
    # The key sent to the gateway: the same checkout submission always sends the same key.
    idempotency_key = models.CharField(max_length=255, unique=True)
    # The gateway's one-time token for the card (never the card number): needed to re-send an
    # authorization whose answer was lost, with the same idempotency key.
    token = models.CharField(max_length=255, blank=True)
    # The other parameters first sent under the idempotency key (metadata, the gateway customer, off-session):
    # a retry with that key must send exactly the same request, or the gateway refuses it.
    request = models.JSONField(default=dict, blank=True)
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


class PaymentMethodOnFile(BaseModel):
    """A card an organization keeps on file for payments made while nobody is at the keyboard (standing orders).

    Only the gateway's references and what a person needs to recognize the card: never its number or CVV.
    """

    public_id = models.CharField(max_length=32, unique=True, default=ids.public_id, editable=False)
    organization = models.ForeignKey(
        "customers.Organization", on_delete=models.CASCADE, related_name="payment_methods_on_file"
    )
    provider = models.CharField(max_length=20)
    # The gateway's customer (Stripe: cus_...) the method is attached to, one per organization and provider.
    customer_reference = models.CharField(max_length=255)
    # The gateway's reusable method (Stripe: pm_...).
    method_reference = models.CharField(max_length=255)
    brand = models.CharField(max_length=32, blank=True)
    last4 = models.CharField(max_length=4, blank=True)
    exp_month = models.PositiveSmallIntegerField(null=True, blank=True)
    exp_year = models.PositiveSmallIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "provider", "method_reference"], name="payment_method_on_file_once"
            )
        ]

    def __str__(self) -> str:
        return self.label

    @property
    def label(self) -> str:
        """How the card is shown: 'Visa ending 4242, expires 12/2034'."""
        text = f"{(self.brand or 'card').title()} ending {self.last4 or '????'}"
        if self.exp_month and self.exp_year:
            text += f", expires {self.exp_month:02d}/{self.exp_year}"
        return text


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
        ACTION_REQUIRED = "action_required", "Waiting for the cardholder's confirmation"
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
    status = models.CharField(max_length=16, choices=Status.choices)
    decline_code = models.CharField(max_length=32, blank=True)
    metadata = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.reference} {self.status}"
