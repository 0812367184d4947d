"""Back-office billing: invoices and credit notes, one document and its PDF (role `accounts`, managers; a
salesperson may look)."""

from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from autosales.billing.documents import document_filename, document_pdf
from autosales.billing.models import Invoice
from autosales.billing.selectors import FILTERS, document_for_staff, documents_for_staff
from autosales.core.errors import NotFound
from autosales.customers.models import Organization
from autosales.customers.permissions import staff_permission_required

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
    return render(request, "backoffice/billing/invoice.html", {"invoice": _document(public_id)})


@staff_permission_required("billing.view_invoice")
@require_GET
def invoice_pdf(request, public_id: str):
    invoice = _document(public_id)
    response = HttpResponse(document_pdf(invoice=invoice), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{document_filename(invoice)}"'
    return response
