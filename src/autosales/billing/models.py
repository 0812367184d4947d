"""Invoices, credit notes, payments received, their allocations, and the per-customer ledger.

An issued invoice or credit note never changes its content: only its settlement (`amount_settled`, `status`,
`settled_at`) moves, through `billing.settlement`. Corrections are credit notes against it.
The ledger: one row per invoice (+), credit note (-) and payment (-) of an organization; its balance is the
sum of its rows, and `Organization.account_balance` keeps that sum (written in the same transaction as each row).
Allocations match payments and credit notes to invoices: they settle invoices but never move the balance.
"""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from autosales.billing.errors import BillingError
from autosales.core import ids
from autosales.core.errors import Conflict
from autosales.core.models import BaseModel
from autosales.core.money import CurrencyField, Money, MoneyField
from autosales.customers.models import Organization
from autosales.orders.models import Order, OrderLine
from autosales.payments.models import Payment


class NumberCounter(models.Model):
    """The last number issued in one series and year; locked by the issuing transaction so numbers have no gaps."""

    series = models.CharField(max_length=16)
    year = models.PositiveSmallIntegerField()
    last = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["series", "year"], name="billing_counter_one_per_year")]

    def __str__(self) -> str:
        return f"{self.series} {self.year}: {self.last}"


class Invoice(BaseModel):
    """An invoice or a credit note, as issued: numbered, addressed, with its lines and totals."""

    class Kind(models.TextChoices):
        INVOICE = "invoice", _("Invoice")
        CREDIT_NOTE = "credit_note", _("Credit note")

    class Status(models.TextChoices):
        OPEN = "open", pgettext_lazy("invoice status", "Open")
        PAID = "paid", pgettext_lazy("invoice status", "Paid")  # a credit note: all of it used
        VOID = "void", pgettext_lazy("invoice status", "Void")  # settled by credit notes alone

    class Source(models.TextChoices):
        SHIPMENT = "shipment", "Shipment"
        ORDER = "order", "Order"
        RECEIPT = "receipt", "Card order receipt"
        MONTHLY = "monthly", "Monthly invoice"
        CREDIT = "credit", "Credit note"
        MANUAL = "manual", "Charged by staff"  # a fee: lines that no order has

    public_id = models.CharField(max_length=32, unique=True, default=ids.public_id, editable=False)
    kind = models.CharField(max_length=16, choices=Kind.choices, default=Kind.INVOICE)
    number = models.CharField(max_length=40, unique=True)
    year = models.PositiveSmallIntegerField()
    sequence = models.PositiveIntegerField()
    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="invoices")
    # The one order it bills (none for a monthly invoice, whose lines name their orders).
    order = models.ForeignKey(Order, null=True, blank=True, on_delete=models.PROTECT, related_name="invoices")
    # What it was issued for, once: a shipment, an order, a card order's receipt, a month, or a credit.
    source = models.CharField(max_length=16, choices=Source.choices)
    source_id = models.CharField(max_length=64)
    # A credit note: the invoice it corrects.
    credited_invoice = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="credit_notes"
    )
    reason = models.TextField(blank=True)
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.OPEN, db_index=True)
    currency = CurrencyField()
    subtotal = MoneyField()
    shipping = MoneyField(default=0)
    tax = MoneyField(default=0)
    total = MoneyField()
    tax_name = models.CharField(max_length=120, blank=True)
    # How much of the total payments and credit notes have settled (an invoice), or been used (a credit note).
    amount_settled = MoneyField(default=0)
    customer_reference = models.CharField("PO / reference", max_length=100, blank=True)
    bill_to = models.TextField(blank=True)
    ship_to = models.TextField(blank=True)
    terms_label = models.CharField(max_length=60, blank=True)
    issue_date = models.DateField()
    due_date = models.DateField(db_index=True)
    issued_at = models.DateTimeField()
    shipment_reference = models.CharField(max_length=64, blank=True)
    shipped_at = models.DateTimeField(null=True, blank=True)
    settled_at = models.DateTimeField(null=True, blank=True)
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-issued_at", "-id"]
        indexes = [models.Index(fields=["organization", "kind", "status", "due_date"], name="billing_invoice_open")]
        constraints = [
            models.UniqueConstraint(fields=["source", "source_id"], name="billing_invoice_once_per_source"),
            models.UniqueConstraint(fields=["kind", "year", "sequence"], name="billing_invoice_sequence_unique"),
            models.CheckConstraint(
                condition=Q(total__gte=0) & Q(amount_settled__gte=0) & Q(amount_settled__lte=F("total")),
                name="billing_invoice_settled_within_total",
            ),
        ]

    def __str__(self) -> str:
        return self.number

    # What may change once issued: how far it is settled. Nothing else, ever (corrections are credit notes).
    SETTLEMENT_FIELDS = frozenset({"amount_settled", "status", "settled_at", "updated_at"})

    def save(self, *args, **kwargs):
        update_fields = kwargs.get("update_fields")
        issued = self.pk is not None and not kwargs.get("force_insert")
        if issued and (update_fields is None or not set(update_fields) <= self.SETTLEMENT_FIELDS):
            raise Conflict(
                BillingError.ISSUED_INVOICE_IS_FINAL,
                f"{self.number} is issued and cannot change; issue a credit note to correct it.",
                "invoice",
            )
        super().save(*args, **kwargs)

    @property
    def is_credit_note(self) -> bool:
        return self.kind == self.Kind.CREDIT_NOTE

    @property
    def total_money(self) -> Money:
        return Money(self.total, self.currency)

    @property
    def subtotal_money(self) -> Money:
        return Money(self.subtotal, self.currency)

    @property
    def tax_money(self) -> Money:
        return Money(self.tax, self.currency)

    @property
    def shipping_money(self) -> Money:
        return Money(self.shipping, self.currency)

    @property
    def balance(self) -> Money:
        """What is still owed on an invoice, or still to use of a credit note."""
        return Money(self.total - self.amount_settled, self.currency)

    @property
    def kind_label(self) -> str:
        return "Credit note" if self.is_credit_note else "Invoice"


class InvoiceLine(BaseModel):
    invoice = models.ForeignKey(Invoice, on_delete=models.CASCADE, related_name="lines")
    order_line = models.ForeignKey(
        OrderLine, null=True, blank=True, on_delete=models.PROTECT, related_name="invoice_lines"
    )
    sku = models.CharField("SKU", max_length=64, blank=True)
    description = models.CharField(max_length=420)
    quantity = models.PositiveIntegerField()
    unit_price = MoneyField()
    line_total = MoneyField()

    class Meta:
        ordering = ["id"]
        constraints = [models.CheckConstraint(condition=Q(quantity__gte=1), name="billing_line_quantity_positive")]

    def __str__(self) -> str:
        return f"{self.quantity} × {self.sku or self.description}"


class PaymentReceived(BaseModel):
    """Money the customer paid: a bank transfer, a cheque, or a card payment in the store."""

    class Method(models.TextChoices):
        BANK_TRANSFER = "bank_transfer", _("Bank transfer")
        CHEQUE = "cheque", _("Cheque")
        CARD = "card", _("Card")

    public_id = models.CharField(max_length=32, unique=True, default=ids.public_id, editable=False)
    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="payments_received")
    method = models.CharField(max_length=16, choices=Method.choices)
    currency = CurrencyField()
    amount = MoneyField()
    amount_allocated = MoneyField(default=0)
    received_on = models.DateField()
    reference = models.CharField(max_length=140, blank=True)
    payer = models.CharField(max_length=200, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    idempotency_key = models.CharField(max_length=255, blank=True)
    request_hash = models.CharField(max_length=64, blank=True)
    # A card payment in the store: the payments app's transaction that took it.
    gateway_payment = models.OneToOneField(
        Payment, null=True, blank=True, on_delete=models.PROTECT, related_name="invoice_payment"
    )

    class Meta:
        ordering = ["-received_on", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "idempotency_key"],
                condition=~Q(idempotency_key=""),
                name="billing_payment_one_per_key",
            ),
            models.CheckConstraint(
                condition=Q(amount__gt=0) & Q(amount_allocated__gte=0) & Q(amount_allocated__lte=F("amount")),
                name="billing_payment_allocated_within_amount",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_method_display()} {self.amount_money} {self.reference}".strip()

    @property
    def amount_money(self) -> Money:
        return Money(self.amount, self.currency)

    @property
    def unallocated(self) -> Money:
        return Money(self.amount - self.amount_allocated, self.currency)


class Allocation(BaseModel):
    """Part of a payment or of a credit note settling part of an invoice."""

    invoice = models.ForeignKey(Invoice, on_delete=models.PROTECT, related_name="allocations")
    payment = models.ForeignKey(
        PaymentReceived, null=True, blank=True, on_delete=models.PROTECT, related_name="allocations"
    )
    credit_note = models.ForeignKey(
        Invoice, null=True, blank=True, on_delete=models.PROTECT, related_name="allocations_from"
    )
    amount = MoneyField()
    at = models.DateTimeField()
    by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["at", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="billing_allocation_positive"),
            models.CheckConstraint(
                condition=(Q(payment__isnull=False) & Q(credit_note__isnull=True))
                | (Q(payment__isnull=True) & Q(credit_note__isnull=False)),
                name="billing_allocation_one_source",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.amount} → {self.invoice_id}"


class LedgerEntry(BaseModel):
    """One movement of an organization's account: + what it owes more (an invoice), - less (a credit note, a payment)."""

    class Kind(models.TextChoices):
        INVOICE = "invoice", "Invoice"
        CREDIT_NOTE = "credit_note", "Credit note"
        PAYMENT = "payment", "Payment"

    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="ledger_entries")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    currency = CurrencyField()
    amount = MoneyField()
    at = models.DateTimeField()
    invoice = models.OneToOneField(
        Invoice, null=True, blank=True, on_delete=models.PROTECT, related_name="ledger_entry"
    )
    payment = models.OneToOneField(
        PaymentReceived, null=True, blank=True, on_delete=models.PROTECT, related_name="ledger_entry"
    )
    description = models.CharField(max_length=200)

    class Meta:
        ordering = ["at", "id"]
        verbose_name_plural = "ledger entries"
        indexes = [models.Index(fields=["organization", "at"], name="billing_ledger_by_org")]
        constraints = [
            models.CheckConstraint(
                condition=(Q(invoice__isnull=False) & Q(payment__isnull=True))
                | (Q(invoice__isnull=True) & Q(payment__isnull=False)),
                name="billing_ledger_one_document",
            )
        ]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d} {self.description} {self.amount}"

    @property
    def amount_money(self) -> Money:
        return Money(self.amount, self.currency)


class AccountEvent(BaseModel):
    """The organization's billing history: reminders sent, statements sent, credit hold put on and lifted.

    `key` is unique: each reminder (invoice and step), each month's statement is recorded, and so sent, once.
    """

    class Kind(models.TextChoices):
        REMINDER = "reminder", "Overdue reminder"
        STATEMENT = "statement", "Statement sent"
        CREDIT_HOLD = "credit_hold", "Put on credit hold"
        CREDIT_RELEASED = "credit_released", "Credit hold lifted"

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="account_events")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    key = models.CharField(max_length=120, unique=True)
    invoice = models.ForeignKey(Invoice, null=True, blank=True, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField(db_index=True)
    message = models.CharField(max_length=300)

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["organization", "kind", "at"], name="billing_event_by_org")]

    def __str__(self) -> str:
        return f"{self.organization_id} {self.kind} {self.at:%Y-%m-%d}"


class UnmatchedPayment(BaseModel):
    """A row of an imported bank file that matched no customer: listed for staff to assign by hand."""

    public_id = models.CharField(max_length=32, unique=True, default=ids.public_id, editable=False)
    key = models.CharField(max_length=80, unique=True)  # the row's import key: listed once however often imported
    received_on = models.DateField()
    amount = MoneyField()
    currency = CurrencyField()
    reference = models.CharField(max_length=140, blank=True)
    payer = models.CharField(max_length=200, blank=True)
    method = models.CharField(max_length=16, choices=PaymentReceived.Method.choices)
    payment = models.OneToOneField(
        PaymentReceived, null=True, blank=True, on_delete=models.SET_NULL, related_name="unmatched_row"
    )

    class Meta:
        ordering = ["received_on", "id"]

    def __str__(self) -> str:
        return f"{self.received_on} {self.amount} {self.reference}"
