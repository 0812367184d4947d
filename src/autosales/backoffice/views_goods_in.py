"""Goods in at a center: typed lines or a CSV, each through `stock_receive` (which fills waiting backorders),
beside the center's recent receipts."""

from urllib.parse import urlencode

from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from autosales.backoffice.forms_fulfillment import centers_of
from autosales.backoffice.forms_receiving import ReceiptFileForm, ReceiveForm
from autosales.catalog.imports.rows import ImportRejected
from autosales.core.errors import DomainError
from autosales.customers.permissions import staff_permission_required
from autosales.fulfillment.imports import receipts_import
from autosales.fulfillment.models import StockReceipt
from autosales.fulfillment.selectors import receipts_recent
from autosales.fulfillment.services import stock_receive

RECEIVE = ("fulfillment.view_stockreceipt", "fulfillment.add_stockreceipt")
SHOWN_ERRORS = 50


def _center(request, centers):
    code = request.POST.get("center") or request.GET.get("center") or ""
    if not code and centers:
        return centers[0]
    return next((c for c in centers if c.code == code), None)


def _summary(receipts: list[StockReceipt], *, unchanged: int = 0) -> str:
    lines = [line for receipt in receipts for line in receipt.lines.all()]
    units = sum(line.quantity for line in lines)
    to_orders = sum(line.allocated_to_backorders for line in lines)
    references = ", ".join(r.reference for r in receipts if r.reference) or "no reference"
    text = f"Received {units} unit{'s' if units != 1 else ''} of {len({line.variant_id for line in lines})} SKU(s) ({references})."
    if to_orders:
        text += f" {to_orders} of them went to backordered orders, which are now in the queue."
    if unchanged:
        text += f" {unchanged} delivery note(s) had been received before and were left as they were."
    return text


def _page(request, *, centers, warehouse, form=None, file_form=None, file_errors=(), status=200):
    context = {
        "centers": centers,
        "warehouse": warehouse,
        "form": form or ReceiveForm(),
        "file_form": file_form or ReceiptFileForm(),
        "file_errors": list(file_errors)[:SHOWN_ERRORS],
        "more_file_errors": max(len(file_errors) - SHOWN_ERRORS, 0),
        "receipts": list(receipts_recent(warehouse=warehouse)) if warehouse else [],
        "section": "receive",
    }
    return render(request, "backoffice/fulfillment/receive.html", context, status=status)


def _back(warehouse) -> str:
    return f"{reverse('backoffice:fulfillment_receive')}?{urlencode({'center': warehouse.code})}"


@staff_permission_required(*RECEIVE)
@require_http_methods(["GET", "POST"])
def receive(request):
    centers = centers_of(request.user)
    warehouse = _center(request, centers)
    if warehouse is None:
        messages.error(request, "center: choose one of your distribution centers.")
        return render(
            request, "backoffice/fulfillment/receive.html", {"centers": centers, "section": "receive"}, status=400
        )
    if request.method == "GET":
        return _page(request, centers=centers, warehouse=warehouse)
    form = ReceiveForm(request.POST)
    if form.is_valid():
        try:
            receipt = stock_receive(
                warehouse=warehouse,
                quantities=form.cleaned_data["quantities"],
                reference=form.cleaned_data["reference"],
                actor=request.user,
            )
        except DomainError as exc:
            form.add_error("reference" if exc.field == "reference" else None, exc.message)
        else:
            messages.success(request, f"{warehouse.code}: {_summary([receipt])}")
            return redirect(_back(warehouse))
    return _page(request, centers=centers, warehouse=warehouse, form=form, status=400)


@staff_permission_required(*RECEIVE)
@require_POST
def receive_csv(request):
    centers = centers_of(request.user)
    warehouse = _center(request, centers)
    if warehouse is None:
        messages.error(request, "center: choose one of your distribution centers.")
        return redirect(reverse("backoffice:fulfillment_receive"))
    file_form = ReceiptFileForm(request.POST, request.FILES)
    if not file_form.is_valid():
        return _page(request, centers=centers, warehouse=warehouse, file_form=file_form, status=400)
    try:
        result = receipts_import(warehouse=warehouse, data=file_form.cleaned_data["file"].read(), actor=request.user)
    except ImportRejected as exc:
        file_form.add_error("file", f"{exc.message}.")
        return _page(
            request, centers=centers, warehouse=warehouse, file_form=file_form, file_errors=exc.errors, status=400
        )
    messages.success(request, f"{warehouse.code}: {_summary(result.receipts, unchanged=result.unchanged)}")
    return redirect(_back(warehouse))
