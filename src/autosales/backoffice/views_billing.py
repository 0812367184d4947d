"""Back-office billing: invoices and credit notes, one document and its PDF (role `accounts`, managers; a
salesperson may look)."""

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from autosales.billing.credit_notes import CreditLine, credit_note_issue
from autosales.billing.documents import document_filename, document_pdf
from autosales.billing.errors import BillingError
from autosales.billing.forms import CreditNoteForm
from autosales.billing.models import Invoice
from autosales.billing.selectors import FILTERS, document_for_staff, documents_for_staff
from autosales.core.downloads import csv_response, pdf_response
from autosales.core.errors import DomainError, NotFound
from autosales.customers.models import Organization
from autosales.customers.permissions import customer_change_required, staff_permission_required

PAGE_SIZE = 50


def _document(public_id: str) -> Invoice:
    try:
        return document_for_staff(public_id=public_id)
    except NotFound as exc:
        raise Http404(exc.message) from exc


def _organization(request) -> Organization | None:
    public_id = request.GET.get("organization", "")
    return Organization.objects.filter(public_id=public_id).first() if public_id else None


@staff_permission_required("billing.view_invoice")
@require_GET
def invoices(request):
    state = request.GET.get("state", "")
    if state not in FILTERS:
        state = ""
    query = request.GET.get("q", "").strip()[:100]
    organization = _organization(request)
    documents = documents_for_staff(state=state, organization=organization, query=query)
    page = Paginator(documents, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "backoffice/billing/invoices.html",
        {"page": page, "state": state, "query": query, "organization": organization, "filters": FILTERS},
    )


@staff_permission_required("billing.view_invoice")
@require_GET
def invoice_detail(request, public_id: str):
    invoice = _document(public_id)
    return render(request, "backoffice/billing/invoice.html", {"invoice": invoice, "credit_form": CreditNoteForm()})


@staff_permission_required("billing.view_invoice")
@require_GET
def invoice_pdf(request, public_id: str):
    invoice = _document(public_id)
    return pdf_response(document_pdf(invoice=invoice), filename=document_filename(invoice))


def _credit_lines(request, invoice: Invoice) -> list[CreditLine]:
    lines = []
    for line in invoice.lines.all():
        raw = request.POST.get(f"line_{line.pk}", "").strip()
        if raw and raw != "0":
            if not raw.isdigit():
                raise DomainError(BillingError.BAD_AMOUNT, "Units are a whole number.", f"line_{line.pk}")
            lines.append(CreditLine(invoice_line_id=line.pk, quantity=int(raw)))
    return lines


@staff_permission_required("billing.add_invoice")
@require_POST
def credit_note_new(request, public_id: str):
    """Issue a credit note against the invoice: units given back, an amount off, its shipping."""
    invoice = _document(public_id)
    customer_change_required(user=request.user, organization=invoice.organization)
    form = CreditNoteForm(request.POST)
    if not form.is_valid():
        messages.error(request, "; ".join(f"{k}: {' '.join(v)}" for k, v in form.errors.items()))
        return redirect("backoffice:invoice_detail", public_id=public_id)
    data = form.cleaned_data
    try:
        lines = _credit_lines(request, invoice)
        if data["amount"]:
            lines.append(CreditLine(description=data["description"], amount=data["amount"]))
        note = credit_note_issue(
            invoice=invoice,
            lines=lines,
            reason=data["reason"],
            credit_shipping=data["credit_shipping"],
            actor=request.user,
        )
    except DomainError as exc:
        messages.error(request, f"{exc.field}: {exc.message}" if exc.field else exc.message)
        return redirect("backoffice:invoice_detail", public_id=public_id)
    messages.success(request, f"Credit note {note.number} issued ({note.total_money}).")
    return redirect("backoffice:invoice_detail", public_id=note.public_id)


@staff_permission_required("billing.view_invoice")
@require_GET
def invoices_csv(request):
    state = request.GET.get("state", "")
    documents = documents_for_staff(state=state if state in FILTERS else "", organization=_organization(request))
    return csv_response(
        "invoices.csv",
        [
            "number",
            "kind",
            "customer",
            "issue_date",
            "due_date",
            "status",
            "currency",
            "subtotal",
            "shipping",
            "tax",
            "total",
            "settled",
            "open",
            "customer_reference",
            "order",
            "shipment",
        ],
        (
            [
                i.number,
                i.kind,
                i.organization.name,
                i.issue_date,
                i.due_date,
                i.status,
                i.currency,
                i.subtotal,
                i.shipping,
                i.tax,
                i.total,
                i.amount_settled,
                i.total - i.amount_settled,
                i.customer_reference,
                i.order.number_display if i.order_id else "",
                i.shipment_reference,
            ]
            for i in documents.iterator(chunk_size=500)
        ),
    )
