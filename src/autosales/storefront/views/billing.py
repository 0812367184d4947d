"""The customer's billing pages: invoices and credit notes (open, overdue, paid), one document and its PDF, the
account's balance and available credit. A member sees its current organization's documents only."""

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from autosales.billing.documents import document_filename, document_pdf
from autosales.billing.models import Invoice
from autosales.billing.selectors import FILTERS, account_standing, document_for_customer, documents_for_organization
from autosales.core.errors import NotFound
from autosales.customers.selectors import organization_for_user

PAGE_SIZE = 25


def _organization(request):
    organization = organization_for_user(user=request.user)
    if organization is None:
        raise Http404("You do not belong to a customer organization.")
    return organization


def _document(request, public_id: str) -> Invoice:
    try:
        return document_for_customer(public_id=public_id, organization=_organization(request))
    except NotFound as exc:
        raise Http404(exc.message) from exc


@login_required
@require_GET
def invoice_list(request):
    organization = _organization(request)
    state = request.GET.get("state", "")
    if state not in FILTERS:
        state = ""
    documents = documents_for_organization(organization=organization, state=state)
    page = Paginator(documents, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "storefront/billing/invoices.html",
        {
            "organization": organization,
            "standing": account_standing(organization=organization),
            "page": page,
            "documents": page.object_list,
            "state": state,
            "filters": FILTERS,
            "page_query": f"state={state}" if state else "",
        },
    )


@login_required
@require_GET
def invoice_detail(request, public_id: str):
    invoice = _document(request, public_id)
    return render(request, "storefront/billing/invoice.html", {"invoice": invoice})


@login_required
@require_GET
def invoice_pdf(request, public_id: str):
    invoice = _document(request, public_id)
    response = HttpResponse(document_pdf(invoice=invoice), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{document_filename(invoice)}"'
    return response
