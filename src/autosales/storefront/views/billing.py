"""The customer's billing pages: invoices and credit notes (open, overdue, paid), one document and its PDF, the
account's balance and available credit. A member sees its current organization's documents only."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext
from django.views.decorators.http import require_GET, require_http_methods

from autosales.billing.card_payments import invoices_pay_by_card
from autosales.billing.documents import document_filename, document_pdf, statement_filename, statement_pdf
from autosales.billing.models import Invoice
from autosales.billing.selectors import FILTERS, account_standing, document_for_customer, documents_for_organization
from autosales.billing.statements import statement_for, statement_month
from autosales.core import ids
from autosales.core.downloads import pdf_response
from autosales.core.errors import DomainError
from autosales.customers.permissions import member_required
from autosales.payments.forms import card_form_config
from autosales.payments.providers import test_gateway
from autosales.storefront.views.access import customer_object_or_404, customer_organization

PAGE_SIZE = 25


def _document(request, public_id: str) -> Invoice:
    return customer_object_or_404(request, document_for_customer, public_id=public_id)


@login_required
@require_GET
def invoice_list(request):
    organization = customer_organization(request)
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
    return pdf_response(document_pdf(invoice=invoice), filename=document_filename(invoice))


@login_required
@require_http_methods(["GET", "POST"])
def invoices_pay(request):
    """Pay open invoices by card: the chosen ones (all open ones preselected, overdue first)."""
    organization = customer_organization(request)
    member_required(user=request.user, organization=organization)
    open_invoices = list(documents_for_organization(organization=organization, state="open").order_by("due_date", "id"))
    error = ""
    if request.method == "POST":
        chosen = request.POST.getlist("invoice")
        token = request.POST.get("payment_token", "").strip()
        key = request.POST.get("key", "").strip()[:64] or ids.token(24)
        if not token:
            error = gettext("Enter your card (a card token for the test gateway).")
        else:
            try:
                payment = invoices_pay_by_card(
                    organization=organization,
                    invoice_public_ids=chosen,
                    token=token,
                    idempotency_key=key,
                    actor=request.user,
                )
            except DomainError as exc:
                error = exc.message
            else:
                messages.success(
                    request, gettext("Thank you: %(amount)s paid by card.") % {"amount": payment.amount_money}
                )
                return redirect("storefront:invoices")
    return render(
        request,
        "storefront/billing/pay.html",
        {
            "organization": organization,
            "invoices": open_invoices,
            "chosen": set(request.POST.getlist("invoice")) if request.method == "POST" else None,
            "key": ids.token(24),
            "error": error,
            "stripe": card_form_config(),
            "test_tokens": test_gateway.TEST_TOKENS,
        },
    )


def _statement_month(request, organization) -> tuple[int, int]:
    try:
        return statement_month(request.GET.get("month", ""), organization=organization)
    except DomainError as exc:
        raise Http404(exc.message) from exc


@login_required
@require_GET
def statement(request):
    organization = customer_organization(request)
    year, month = _statement_month(request, organization)
    statement = statement_for(organization=organization, year=year, month=month)
    if request.GET.get("format") == "pdf":
        return pdf_response(statement_pdf(statement=statement), filename=statement_filename(statement))
    return render(request, "storefront/billing/statement.html", {"statement": statement, "organization": organization})
