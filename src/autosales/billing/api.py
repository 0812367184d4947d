"""Router `billing`: the caller's organization's invoices, credit notes, payments and balance; staff record
payments received (once per Idempotency-Key) and read any customer's balance."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.http import HttpRequest
from ninja import Field, Header, Query, Router, Schema, Status

from autosales.billing.aging import BUCKETS
from autosales.billing.documents import document_filename, document_pdf
from autosales.billing.errors import BillingError
from autosales.billing.models import Invoice, PaymentReceived
from autosales.billing.payments_received import MAX_KEY_LENGTH, AllocationRequest, payment_record
from autosales.billing.selectors import (
    FILTERS,
    account_standing,
    document_for_customer,
    documents_for_organization,
    payments_for_organization,
    shop_today,
)
from autosales.billing.statements import month_parse, statement_for
from autosales.catalog.api import MoneyOut
from autosales.core.downloads import pdf_response
from autosales.core.errors import DomainError, NotFound, PermissionDenied
from autosales.core.http.errors import error_responses
from autosales.core.http.pagination import Page, PageParams, paginate
from autosales.core.money import Money
from autosales.customers.models import Organization
from autosales.customers.permissions import customer_change_allowed
from autosales.customers.selectors import organization_for_user

router = Router(tags=["billing"])


def _money(amount, currency: str) -> dict:
    return {"amount": Money(amount, currency).rounded().amount, "currency": currency}


class InvoiceLineOut(Schema):
    sku: str
    description: str
    quantity: int
    unit_price: MoneyOut
    line_total: MoneyOut


class InvoiceOut(Schema):
    public_id: str = Field(description="The id in URLs, e.g. /api/v1/billing/invoices/{public_id}.")
    kind: str = Field(description="invoice or credit_note")
    number: str = Field(examples=["INV-2027-000123"])
    status: str = Field(description="open, paid (a credit note: used up) or void (settled by credit notes alone)")
    issue_date: dt.date
    due_date: dt.date
    overdue: bool
    terms: str
    customer_reference: str
    order_number: str | None
    shipment_reference: str
    credited_invoice: str | None = Field(description="A credit note: the number of the invoice it corrects.")
    reason: str
    subtotal: MoneyOut
    shipping: MoneyOut
    tax: MoneyOut
    tax_name: str
    total: MoneyOut
    settled: MoneyOut = Field(description="Paid and credited (an invoice), or used (a credit note).")
    balance: MoneyOut = Field(description="Still to pay (an invoice), or still to use (a credit note).")
    bill_to: str
    ship_to: str
    lines: list[InvoiceLineOut]
    pdf_url: str


class InvoiceFilters(Schema):
    state: str = Field("", description=f"One of {', '.join(FILTERS)}; blank for every document.")


class AllocationOut(Schema):
    invoice: str
    amount: MoneyOut


class PaymentOut(Schema):
    public_id: str
    method: str = Field(description="bank_transfer, cheque or card")
    amount: MoneyOut
    unallocated: MoneyOut = Field(description="Credit left for the next invoices.")
    received_on: dt.date
    reference: str
    payer: str


class BalanceOut(Schema):
    organization: str
    balance: MoneyOut = Field(description="The ledger balance: open invoices less unused credit.")
    open_invoices: MoneyOut
    overdue: MoneyOut
    unused_credit: MoneyOut
    credit_limit: MoneyOut
    available_credit: MoneyOut
    credit_hold: bool


class AllocationIn(Schema):
    invoice: str = Field(min_length=1, max_length=40, description="An open invoice's number.")
    amount: str = Field(min_length=1, max_length=30, examples=["120.00"])


class PaymentIn(Schema):
    organization: str = Field(min_length=1, max_length=32, description="The customer's public id.")
    method: str = Field(description="bank_transfer or cheque", examples=["bank_transfer"])
    amount: str = Field(min_length=1, max_length=30, examples=["250.00"])
    received_on: dt.date
    reference: str = Field("", max_length=140)
    payer: str = Field("", max_length=200)
    allocations: list[AllocationIn] | None = Field(
        None, max_length=200, description="By hand; leave out to settle the open invoices oldest due first."
    )


def invoice_out(invoice: Invoice, *, today: dt.date) -> dict:
    currency = invoice.currency
    base = settings.SHOP["base_url"].rstrip("/")
    return {
        "public_id": invoice.public_id,
        "kind": invoice.kind,
        "number": invoice.number,
        "status": invoice.status,
        "issue_date": invoice.issue_date,
        "due_date": invoice.due_date,
        "overdue": invoice.kind == Invoice.Kind.INVOICE and invoice.status == "open" and invoice.due_date < today,
        "terms": invoice.terms_label,
        "customer_reference": invoice.customer_reference,
        "order_number": invoice.order.number_display if invoice.order_id else None,
        "shipment_reference": invoice.shipment_reference,
        "credited_invoice": invoice.credited_invoice.number if invoice.credited_invoice_id else None,
        "reason": invoice.reason,
        "subtotal": _money(invoice.subtotal, currency),
        "shipping": _money(invoice.shipping, currency),
        "tax": _money(invoice.tax, currency),
        "tax_name": invoice.tax_name,
        "total": _money(invoice.total, currency),
        "settled": _money(invoice.amount_settled, currency),
        "balance": _money(invoice.total - invoice.amount_settled, currency),
        "bill_to": invoice.bill_to,
        "ship_to": invoice.ship_to,
        "lines": [
            {
                "sku": line.sku,
                "description": line.description,
                "quantity": line.quantity,
                "unit_price": _money(line.unit_price, currency),
                "line_total": _money(line.line_total, currency),
            }
            for line in invoice.lines.all()
        ],
        "pdf_url": f"{base}/api/v1/billing/invoices/{invoice.public_id}/pdf",
    }


def payment_out(payment: PaymentReceived) -> dict:
    return {
        "public_id": payment.public_id,
        "method": payment.method,
        "amount": _money(payment.amount, payment.currency),
        "unallocated": _money(payment.amount - payment.amount_allocated, payment.currency),
        "received_on": payment.received_on,
        "reference": payment.reference,
        "payer": payment.payer,
    }


def balance_out(organization: Organization) -> dict:
    standing = account_standing(organization=organization)
    money = {
        name: {"amount": value.rounded().amount, "currency": value.currency}
        for name, value in [
            ("balance", standing.balance),
            ("open_invoices", standing.open_invoices),
            ("overdue", standing.overdue),
            ("unused_credit", standing.unused_credit),
            ("credit_limit", standing.credit_limit),
            ("available_credit", standing.available_credit),
        ]
    }
    return {"organization": organization.public_id, "credit_hold": standing.credit_hold, **money}


def _caller_organization(request: HttpRequest) -> Organization:
    organization = organization_for_user(user=request.auth)
    if organization is None:
        raise NotFound(BillingError.NOT_FOUND, "You do not belong to a customer organization, so you have no invoices.")
    return organization


def _state(filters: InvoiceFilters) -> str:
    if filters.state and filters.state not in FILTERS:
        raise DomainError(BillingError.NOT_FOUND, f"Unknown state; use one of {', '.join(FILTERS)}.", "state")
    return filters.state


@router.get(
    "/invoices",
    response={200: Page[InvoiceOut], **error_responses(400, 401, 404, 422)},
    summary="The caller's organization's invoices and credit notes, newest first",
)
def invoices_list(request, filters: Query[InvoiceFilters], paging: Query[PageParams]):
    return _documents_page(request, state=_state(filters), paging=paging)


def _documents_page(request, *, state: str, paging: PageParams):
    """A page of the caller's organization's documents in `state` (a FILTERS key, or "" for all)."""
    queryset = (
        documents_for_organization(organization=_caller_organization(request), state=state)
        .select_related("credited_invoice")
        .prefetch_related("lines")
    )
    page = paginate(request=request, queryset=queryset, params=paging)
    today = shop_today()
    return page.with_items([invoice_out(invoice, today=today) for invoice in page.items])


@router.get(
    "/credit-notes",
    response={200: Page[InvoiceOut], **error_responses(401, 404, 422)},
    summary="The caller's organization's credit notes, newest first",
)
def credit_notes_list(request, paging: Query[PageParams]):
    return _documents_page(request, state="credit_notes", paging=paging)


@router.get(
    "/invoices/{public_id}",
    response={200: InvoiceOut, **error_responses(401, 404)},
    summary="One invoice or credit note with its lines",
)
def invoices_detail(request, public_id: str):
    return invoice_out(_caller_document(request, public_id), today=shop_today())


def _caller_document(request, public_id: str) -> Invoice:
    return document_for_customer(public_id=public_id, organization=_caller_organization(request))


@router.get(
    "/invoices/{public_id}/pdf",
    response={200: None, **error_responses(401, 404)},
    summary="The PDF of one invoice or credit note (application/pdf)",
)
def invoices_pdf(request, public_id: str):
    invoice = _caller_document(request, public_id)
    return pdf_response(document_pdf(invoice=invoice), filename=document_filename(invoice))


@router.get(
    "/payments",
    response={200: Page[PaymentOut], **error_responses(401, 404, 422)},
    summary="The payments received from the caller's organization, newest first",
)
def payments_list(request, paging: Query[PageParams]):
    organization = _caller_organization(request)
    page = paginate(request=request, queryset=payments_for_organization(organization=organization), params=paging)
    return page.with_items([payment_out(payment) for payment in page.items])


@router.get(
    "/balance",
    response={200: BalanceOut, **error_responses(401, 404)},
    summary="The caller's organization's balance, overdue amount and available credit",
)
def balance(request):
    return balance_out(_caller_organization(request))


def _staff(request, permission: str) -> None:
    user = request.auth
    if not (user.is_active and user.is_staff and user.has_perm(permission)):
        raise PermissionDenied("permission_denied", "Only accounts staff and managers may do this.", None)


def _organization(public_id: str) -> Organization:
    organization = Organization.objects.filter(public_id=public_id).first()
    if organization is None:
        raise NotFound(BillingError.NOT_FOUND, "No such customer.", "organization")
    return organization


@router.get(
    "/organizations/{public_id}/balance",
    response={200: BalanceOut, **error_responses(401, 403, 404)},
    summary="Staff: a customer's balance, overdue amount and available credit",
)
def organization_balance(request, public_id: str):
    _staff(request, "billing.view_invoice")
    return balance_out(_organization(public_id))


@router.post(
    "/payments",
    response={201: PaymentOut, **error_responses(400, 401, 403, 404, 409, 422)},
    summary="Staff: record a payment received and allocate it; a retry with the same Idempotency-Key records it once",
)
def payments_create(
    request,
    payload: PaymentIn,
    idempotency_key: str = Header(
        ...,
        alias="Idempotency-Key",
        min_length=1,
        max_length=MAX_KEY_LENGTH,
        description="A unique key per payment you record, e.g. the bank's transaction id; send it again to retry.",
    ),
):
    _staff(request, "billing.add_paymentreceived")
    organization = _organization(payload.organization)
    if not customer_change_allowed(user=request.auth, organization=organization):
        raise PermissionDenied("permission_denied", "You may record payments only for your own customers.", None)
    payment = payment_record(
        organization=organization,
        method=payload.method,
        amount=payload.amount,
        received_on=payload.received_on,
        reference=payload.reference,
        payer=payload.payer,
        actor=request.auth,
        allocations=[AllocationRequest(a.invoice, a.amount) for a in payload.allocations or []] or None,
        idempotency_key=idempotency_key,
    )
    return Status(201, payment_out(payment))


class StatementLineOut(Schema):
    date: dt.date
    kind: str = Field(description="invoice, credit_note or payment")
    description: str
    amount: MoneyOut
    balance: MoneyOut


class StatementOut(Schema):
    month: str = Field(examples=["2027-03"])
    start: dt.date
    end: dt.date
    opening: MoneyOut
    closing: MoneyOut
    lines: list[StatementLineOut]
    aging: dict[str, MoneyOut] = Field(description="Open at the month's end by days past due: " + ", ".join(BUCKETS))


def _m(money: Money) -> dict:
    return {"amount": money.rounded().amount, "currency": money.currency}


@router.get(
    "/statements/{month}",
    response={200: StatementOut, **error_responses(400, 401, 404)},
    summary="The caller's organization's statement of a month (YYYY-MM): balances, activity, aging",
)
def statements_detail(request, month: str):
    organization = _caller_organization(request)
    year, number = month_parse(month[:7])
    statement = statement_for(organization=organization, year=year, month=number)
    return {
        "month": statement.period,
        "start": statement.start,
        "end": statement.end,
        "opening": _m(statement.opening),
        "closing": _m(statement.closing),
        "lines": [
            {
                "date": line.date,
                "kind": line.kind,
                "description": line.description,
                "amount": _m(line.amount),
                "balance": _m(line.balance),
            }
            for line in statement.lines
        ],
        "aging": {name: _m(amount) for name, amount in statement.aging.items()},
    }
