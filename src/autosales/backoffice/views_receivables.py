"""Back-office receivables: aging per customer, the overdue list, a customer's ledger, payments received (entry,
allocation, list) and their CSV exports. Role `accounts` and managers; salespeople may look."""

from decimal import Decimal

from django.contrib import messages
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.paginator import Paginator
from django.db.models import F
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from autosales.billing.aging import BUCKET_LABELS, BUCKETS, aging_rows, aging_totals
from autosales.billing.documents import statement_filename, statement_pdf
from autosales.billing.forms import ChargeForm, PaymentForm
from autosales.billing.issuing import invoice_issue_manual
from autosales.billing.models import AccountEvent, Invoice, PaymentReceived, UnmatchedPayment
from autosales.billing.payment_import import unmatched_payment_assign
from autosales.billing.payments_received import AllocationRequest, payment_allocate, payment_record
from autosales.billing.selectors import account_standing, ledger_for_organization, shop_today
from autosales.billing.statements import statement_for, statement_month
from autosales.core import ids
from autosales.core.downloads import csv_response, pdf_response
from autosales.core.errors import DomainError
from autosales.customers.models import Organization
from autosales.customers.permissions import customer_change_required, staff_permission_required

PAGE_SIZE = 50


def _customer(public_id: str) -> Organization:
    organization = Organization.objects.filter(public_id=public_id).first()
    if organization is None:
        raise Http404("No such customer.")
    return organization


@staff_permission_required("billing.view_invoice")
@require_GET
def receivables(request):
    """Every customer with open invoices and their aging, in a fixed number of queries."""
    on = shop_today()
    rows = aging_rows(on=on, overdue_only=request.GET.get("overdue") == "1")
    if request.GET.get("format") == "csv":
        return csv_response(
            f"aging-{on.isoformat()}.csv",
            ["customer", "currency", *BUCKETS, "total"],
            ([r.organization_name, r.currency, *r.buckets(), r.total] for r in rows),
        )
    return render(
        request,
        "backoffice/billing/receivables.html",
        {
            "rows": rows,
            "totals": aging_totals(rows),
            "labels": [BUCKET_LABELS[b] for b in BUCKETS],
            "on": on,
            "overdue_only": request.GET.get("overdue") == "1",
        },
    )


@staff_permission_required("billing.view_invoice")
@require_GET
def overdue(request):
    """Open invoices past their due date, most overdue first."""
    today = shop_today()
    invoices = (
        Invoice.objects.filter(kind=Invoice.Kind.INVOICE, status=Invoice.Status.OPEN, due_date__lt=today)
        .select_related("organization", "organization__salesperson")
        .order_by("due_date", "id")
    )
    page = Paginator(invoices, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "backoffice/billing/overdue.html", {"page": page, "today": today})


def _manual_allocations(request, organization: Organization) -> list[AllocationRequest]:
    wanted = []
    for invoice in Invoice.objects.filter(
        organization=organization, kind=Invoice.Kind.INVOICE, status=Invoice.Status.OPEN
    ).order_by("due_date", "id"):
        raw = request.POST.get(f"allocate_{invoice.public_id}", "").strip()
        if raw and not _zero(raw):
            wanted.append(AllocationRequest(invoice_number=invoice.number, amount=raw))
    return wanted


def _zero(raw: str) -> bool:
    """A blank-equivalent entry ("0", "0.00"); anything else, valid or not, goes to the service to be judged."""
    try:
        return Decimal(raw) == 0
    except ArithmeticError:
        return False


@staff_permission_required("billing.view_invoice")
@require_http_methods(["GET", "POST"])
def customer_ledger(request, public_id: str):
    """A customer's standing, ledger with running balance, open invoices; staff who may, record a payment here."""
    organization = _customer(public_id)
    form = PaymentForm(initial={"received_on": shop_today(), "payer": organization.name})
    if request.method == "POST":
        if not request.user.has_perm("billing.add_paymentreceived"):
            raise DjangoPermissionDenied("Your role does not allow recording payments.")
        customer_change_required(user=request.user, organization=organization)
        form = PaymentForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                manual = _manual_allocations(request, organization) if data["allocation"] == "manual" else None
                payment = payment_record(
                    organization=organization,
                    method=data["method"],
                    amount=data["amount"],
                    received_on=data["received_on"],
                    reference=data["reference"],
                    payer=data["payer"],
                    actor=request.user,
                    allocations=manual,
                )
            except DomainError as exc:
                form.add_error(exc.field if exc.field in form.fields else None, exc.message)
            else:
                messages.success(
                    request, f"Payment of {payment.amount_money} recorded; {payment.unallocated} left as credit."
                )
                return redirect("backoffice:billing_customer", public_id=public_id)
    open_invoices = Invoice.objects.filter(
        organization=organization, kind=Invoice.Kind.INVOICE, status=Invoice.Status.OPEN
    ).order_by("due_date", "id")
    return render(
        request,
        "backoffice/billing/customer.html",
        {
            "organization": organization,
            "standing": account_standing(organization=organization),
            "ledger": ledger_for_organization(organization=organization),
            "open_invoices": open_invoices,
            "credits": PaymentReceived.objects.filter(organization=organization).exclude(amount_allocated=F("amount")),
            "form": form,
            "charge_form": ChargeForm(initial={"key": ids.token(24)}),
            "today": shop_today(),
            "history": AccountEvent.objects.filter(organization=organization).select_related("invoice")[:50],
        },
    )


@staff_permission_required("billing.add_invoice")
@require_POST
def customer_charge(request, public_id: str):
    """Charge the customer a fee: an invoice of one line, on its terms, once per submitted form."""
    organization = _customer(public_id)
    customer_change_required(user=request.user, organization=organization)
    form = ChargeForm(request.POST)
    if not form.is_valid():
        problems = "; ".join(f"{name}: {' '.join(errors)}" for name, errors in form.errors.items())
        messages.error(request, problems)
        return redirect("backoffice:billing_customer", public_id=public_id)
    data = form.cleaned_data
    try:
        invoice = invoice_issue_manual(
            organization=organization,
            description=data["description"],
            amount=data["amount"],
            key=data["key"],
            actor=request.user,
        )
    except DomainError as exc:
        messages.error(request, f"{exc.field}: {exc.message}" if exc.field else exc.message)
        return redirect("backoffice:billing_customer", public_id=public_id)
    messages.success(request, f"Invoice {invoice.number} issued ({invoice.total_money}).")
    return redirect("backoffice:invoice_detail", public_id=invoice.public_id)


@staff_permission_required("billing.add_paymentreceived")
@require_POST
def payment_allocate_view(request, public_id: str):
    """Allocate what is left of a payment: oldest due first, or the amounts entered per invoice."""
    payment = PaymentReceived.objects.filter(public_id=public_id).select_related("organization").first()
    if payment is None:
        raise Http404("No such payment.")
    customer_change_required(user=request.user, organization=payment.organization)
    try:
        manual = (
            _manual_allocations(request, payment.organization) if request.POST.get("allocation") == "manual" else None
        )
        allocations = payment_allocate(payment=payment, allocations=manual, actor=request.user)
    except DomainError as exc:
        messages.error(request, f"{exc.field}: {exc.message}" if exc.field else exc.message)
    else:
        messages.success(request, f"{len(allocations)} invoice(s) settled from the payment.")
    return redirect("backoffice:billing_customer", public_id=payment.organization.public_id)


@staff_permission_required("billing.view_paymentreceived")
@require_GET
def payments(request):
    queryset = PaymentReceived.objects.select_related("organization", "recorded_by")
    if request.GET.get("format") == "csv":
        return csv_response(
            "payments.csv",
            [
                "received_on",
                "customer",
                "method",
                "currency",
                "amount",
                "allocated",
                "unallocated",
                "reference",
                "payer",
            ],
            (
                [
                    p.received_on,
                    p.organization.name,
                    p.method,
                    p.currency,
                    p.amount,
                    p.amount_allocated,
                    p.amount - p.amount_allocated,
                    p.reference,
                    p.payer,
                ]
                for p in queryset.iterator(chunk_size=500)
            ),
        )
    page = Paginator(queryset, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "backoffice/billing/payments.html", {"page": page})


@staff_permission_required("billing.view_invoice")
@require_GET
def customer_statement(request, public_id: str):
    """A customer's statement of a month (?month=YYYY-MM, else last month) as a page, or its PDF (?format=pdf):
    one statement, the same figures."""
    organization = _customer(public_id)
    try:
        year, month = statement_month(request.GET.get("month", ""), organization=organization)
    except DomainError as exc:
        raise Http404(exc.message) from exc
    statement = statement_for(organization=organization, year=year, month=month)
    if request.GET.get("format") == "pdf":
        return pdf_response(statement_pdf(statement=statement), filename=statement_filename(statement))
    return render(request, "backoffice/billing/statement.html", {"organization": organization, "statement": statement})


@staff_permission_required("billing.view_paymentreceived")
@require_GET
def unmatched(request):
    """Bank rows that matched no customer (from `autosales billing import-payments`), to assign by hand."""
    rows = UnmatchedPayment.objects.filter(payment__isnull=True)
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "backoffice/billing/unmatched.html", {"page": page})


@staff_permission_required("billing.add_paymentreceived")
@require_POST
def unmatched_assign(request, public_id: str):
    row = UnmatchedPayment.objects.filter(public_id=public_id, payment__isnull=True).first()
    if row is None:
        raise Http404("No such unmatched payment.")
    name = " ".join(request.POST.get("customer", "").split())
    customers = list(Organization.objects.filter(name__iexact=name)[:2]) if name else []
    if len(customers) != 1:
        messages.error(request, f"customer: no single customer is named {name!r}.")
        return redirect("backoffice:unmatched")
    customer_change_required(user=request.user, organization=customers[0])
    try:
        payment = unmatched_payment_assign(row=row, organization=customers[0], actor=request.user)
    except DomainError as exc:
        messages.error(request, f"{exc.field}: {exc.message}" if exc.field else exc.message)
        return redirect("backoffice:unmatched")
    messages.success(request, f"{payment.amount_money} recorded for {customers[0].name}.")
    return redirect("backoffice:billing_customer", public_id=customers[0].public_id)
