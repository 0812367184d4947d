"""A customer pays open invoices by card in the store, through the payments provider interface.

1. Outside any transaction: the chosen invoices' open total is charged as one sale, once per idempotency key
   (`payments.services.payment_authorize(capture=True)`: a retry never charges twice).
2. In one transaction, with the customer's row locked: the payment received (method card, pointing at the
   gateway payment), its ledger entry, its allocation to those invoices (an invoice that got paid meanwhile leaves
   that part as credit for the next invoice), and the credit hold lifted if nothing is overdue any more.
The second step is keyed by the gateway payment, so running it again for the same charge records nothing more.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import transaction

from autosales.billing.dunning import credit_hold_review
from autosales.billing.errors import BillingError
from autosales.billing.ledger import ledger_record_payment
from autosales.billing.models import Invoice, PaymentReceived
from autosales.billing.settlement import allocation_make, organization_lock
from autosales.core import clock
from autosales.core.errors import DomainError
from autosales.core.money import Money
from autosales.customers.models import Organization
from autosales.payments.services import payment_authorize


def _open_invoices(organization: Organization, public_ids: list[str]) -> list[Invoice]:
    invoices = list(
        Invoice.objects.filter(
            organization=organization, kind=Invoice.Kind.INVOICE, status=Invoice.Status.OPEN, public_id__in=public_ids
        ).order_by("due_date", "id")
    )
    if not invoices:
        raise DomainError(BillingError.NOTHING_TO_INVOICE, "Choose at least one open invoice to pay.", "invoices")
    return invoices


def invoices_pay_by_card(
    *, organization: Organization, invoice_public_ids: list[str], token: str, idempotency_key: str, actor=None
) -> PaymentReceived:
    """Charges the open total of the chosen invoices to the card and settles them; raises DomainError(field=
    "payment") on a decline (nothing recorded), as checkout does."""
    key = f"invoices-{organization.public_id}-{idempotency_key}"
    recorded = PaymentReceived.objects.filter(organization=organization, gateway_payment__idempotency_key=key).first()
    if recorded is not None:  # a retry of a payment already made: its invoices are paid, nothing is charged again
        return recorded
    invoices = _open_invoices(organization, invoice_public_ids)
    amount = Money(sum((i.total - i.amount_settled for i in invoices), Decimal(0)), organization.currency)
    gateway_payment = payment_authorize(
        amount=amount,
        token=token,
        idempotency_key=key,
        metadata={"organization": organization.public_id, "invoices": " ".join(i.number for i in invoices)},
        capture=True,
    )
    return card_payment_record(
        organization=organization, gateway_payment=gateway_payment, invoice_ids=[i.pk for i in invoices], actor=actor
    )


def card_payment_record(
    *, organization: Organization, gateway_payment, invoice_ids: list[int], actor=None
) -> PaymentReceived:
    """Records the captured card payment once and allocates it to the invoices, oldest due first."""
    with transaction.atomic():
        locked = organization_lock(organization.pk)
        existing = PaymentReceived.objects.filter(gateway_payment_id=gateway_payment.pk).first()
        if existing is not None:
            return existing
        payment = PaymentReceived.objects.create(
            organization=locked,
            method=PaymentReceived.Method.CARD,
            currency=gateway_payment.currency,
            amount=gateway_payment.amount,
            received_on=clock.today(locked.local_time_zone),
            reference=f"Card {gateway_payment.public_id}",
            payer=getattr(actor, "email", "") or locked.name,
            recorded_by=actor,
            gateway_payment_id=gateway_payment.pk,
        )
        ledger_record_payment(payment=payment, at=clock.now())
        for invoice in Invoice.objects.filter(pk__in=invoice_ids, status=Invoice.Status.OPEN).order_by(
            "due_date", "id"
        ):
            amount = min(payment.unallocated.amount, invoice.balance.amount)
            if amount > 0:
                allocation_make(invoice=invoice, amount=amount, payment=payment, by=actor)
        if locked.credit_hold:
            credit_hold_review(organization_id=locked.pk, today=clock.today(settings.SHOP_TIME_ZONE))
    payment.refresh_from_db()
    return payment
