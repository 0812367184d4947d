"""Payments received: staff record a bank transfer or a cheque (or the store takes a card payment) and it settles
the customer's invoices, oldest due first or as staff choose; what is left stays as credit for the next invoice.

One transaction per payment, with the customer's row locked first: the payment, its ledger entry (- its
amount), its allocations. An Idempotency-Key makes a retried request return the payment it recorded the first
time (the same request) or a 409 (another request under the key).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.db import IntegrityError, transaction

from autosales.billing.dunning import credit_hold_review
from autosales.billing.errors import BillingError
from autosales.billing.ledger import ledger_record_payment
from autosales.billing.models import Allocation, Invoice, PaymentReceived
from autosales.billing.settlement import (
    allocation_make,
    invoice_apply_credit,
    organization_lock,
    payment_allocate_oldest_first,
)
from autosales.core import clock
from autosales.core.errors import NUL, Conflict, DomainError
from autosales.core.money import quantize
from autosales.customers.models import Organization

MAX_KEY_LENGTH = 200


@dataclass(frozen=True)
class AllocationRequest:
    invoice_number: str
    amount: Decimal | str


def amount_clean(value, *, currency: str, field: str = "amount") -> Decimal:
    """A positive amount in the currency's minor unit; DomainError naming `field` otherwise."""
    try:
        amount = Decimal(str(value).strip().replace(",", ""))
    except (InvalidOperation, TypeError, ValueError):
        raise DomainError(BillingError.BAD_AMOUNT, f"{value!r} is not an amount.", field) from None
    if not amount.is_finite() or amount <= 0:
        raise DomainError(BillingError.BAD_AMOUNT, "The amount must be more than zero.", field)
    if amount != quantize(amount, currency):
        raise DomainError(BillingError.BAD_AMOUNT, f"{currency} amounts have at most its minor unit's decimals.", field)
    if amount >= Decimal(10) ** 12:
        raise DomainError(BillingError.BAD_AMOUNT, "The amount is too large.", field)
    return amount


def _text(value: str, *, field: str, limit: int) -> str:
    value = " ".join(str(value or "").split())
    if NUL in value:
        raise DomainError(BillingError.BAD_AMOUNT, f"The {field} contains a NUL character.", field)
    if len(value) > limit:
        raise DomainError(BillingError.BAD_AMOUNT, f"The {field} is longer than {limit} characters.", field)
    return value


def _method(value: str) -> str:
    if value not in PaymentReceived.Method.values or value == PaymentReceived.Method.CARD:
        raise DomainError(
            BillingError.BAD_METHOD,
            "The method is bank_transfer or cheque (card payments come from the store).",
            "method",
        )
    return value


def _request_hash(**fields) -> str:
    return hashlib.sha256(json.dumps(fields, sort_keys=True, default=str).encode()).hexdigest()


def _allocations_by_hand(*, payment: PaymentReceived, wanted: list[AllocationRequest], by) -> list[Allocation]:
    numbers = [w.invoice_number.strip().upper() for w in wanted]
    invoices = {
        i.number: i
        for i in Invoice.objects.filter(
            organization_id=payment.organization_id, kind=Invoice.Kind.INVOICE, number__in=numbers
        )
    }
    allocations = []
    for index, (number, request) in enumerate(zip(numbers, wanted, strict=True)):
        invoice = invoices.get(number)
        if invoice is None:
            raise DomainError(
                BillingError.NOT_FOUND, f"{number} is not an invoice of this customer.", f"allocations[{index}].invoice"
            )
        amount = amount_clean(request.amount, currency=payment.currency, field=f"allocations[{index}].amount")
        try:
            allocations.append(allocation_make(invoice=invoice, amount=amount, payment=payment, by=by))
        except DomainError as exc:
            exc.field = f"allocations[{index}].{exc.field}"
            raise
    return allocations


def payment_record(
    *,
    organization: Organization,
    method: str,
    amount,
    received_on: dt.date,
    reference: str = "",
    payer: str = "",
    actor=None,
    allocations: list[AllocationRequest] | None = None,
    idempotency_key: str = "",
) -> PaymentReceived:
    """Records the payment and allocates it: to `allocations` when given, else to the open invoices oldest due
    first; what is left is credit that the next invoices use. Bad input raises DomainError naming the field."""
    currency = organization.currency
    method = _method(method)
    amount = amount_clean(amount, currency=currency)
    if not isinstance(received_on, dt.date) or received_on > clock.today(organization.local_time_zone):
        raise DomainError(BillingError.BAD_DATE, "The date received cannot be in the future.", "received_on")
    reference = _text(reference, field="reference", limit=140)
    payer = _text(payer, field="payer", limit=200)
    key = _text(idempotency_key, field="Idempotency-Key", limit=MAX_KEY_LENGTH)
    wanted = list(allocations or [])
    request_hash = _request_hash(
        method=method,
        amount=str(amount),
        received_on=received_on.isoformat(),
        reference=reference,
        payer=payer,
        allocations=[(w.invoice_number, str(w.amount)) for w in wanted],
    )
    if key:
        existing = PaymentReceived.objects.filter(organization=organization, idempotency_key=key).first()
        if existing is not None:
            return _replay(existing, request_hash)
    try:
        with transaction.atomic():
            locked = organization_lock(organization.pk)
            payment = PaymentReceived.objects.create(
                organization=organization,
                method=method,
                currency=currency,
                amount=amount,
                received_on=received_on,
                reference=reference,
                payer=payer,
                recorded_by=actor,
                idempotency_key=key,
                request_hash=request_hash if key else "",
            )
            ledger_record_payment(payment=payment, at=clock.now())
            if wanted:
                _allocations_by_hand(payment=payment, wanted=wanted, by=actor)
            else:
                payment_allocate_oldest_first(payment=payment, by=actor)
            if locked.credit_hold:
                credit_hold_review(organization_id=locked.pk, today=clock.today(settings.SHOP_TIME_ZONE))
    except IntegrityError:
        existing = (
            PaymentReceived.objects.filter(organization=organization, idempotency_key=key).first() if key else None
        )
        if existing is None:
            raise
        return _replay(existing, request_hash)
    payment.refresh_from_db()
    return payment


def _replay(payment: PaymentReceived, request_hash: str) -> PaymentReceived:
    if payment.request_hash != request_hash:
        raise Conflict(
            BillingError.IDEMPOTENCY_MISMATCH,
            "This Idempotency-Key was used for another payment; use a new key for a new payment.",
            "Idempotency-Key",
        )
    return payment


def payment_allocate(
    *, payment: PaymentReceived, allocations: list[AllocationRequest] | None = None, actor=None
) -> list[Allocation]:
    """Allocates what is left of a recorded payment: by hand, or oldest due first when `allocations` is None."""
    with transaction.atomic():
        organization_lock(payment.organization_id)
        payment = PaymentReceived.objects.get(pk=payment.pk)
        if allocations:
            made = _allocations_by_hand(payment=payment, wanted=allocations, by=actor)
        else:
            made = payment_allocate_oldest_first(payment=payment, by=actor)
        credit_hold_review(organization_id=payment.organization_id, today=clock.today(settings.SHOP_TIME_ZONE))
        return made


def invoice_settle_from_credit(*, invoice: Invoice, actor=None) -> list[Allocation]:
    """Uses the customer's unused credit (payments, credit notes) on this open invoice."""
    with transaction.atomic():
        organization_lock(invoice.organization_id)
        invoice = Invoice.objects.get(pk=invoice.pk)
        return invoice_apply_credit(invoice=invoice, by=actor)
