"""The clerk's queue and the paper printed from it: orders a distribution center can ship, pick lists and
packing slips for a batch of them (PDF)."""

from collections import defaultdict
from urllib.parse import urlencode

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET

from autosales.backoffice.forms_fulfillment import MAX_BATCH, QueueFilterForm, centers_of
from autosales.core import clock
from autosales.core.errors import NotFound
from autosales.customers.permissions import staff_permission_required
from autosales.fulfillment.documents import packing_slips_pdf, pick_list_pdf
from autosales.fulfillment.queue import QueueFilters, order_parts, queue_batch, queue_orders, queue_rows
from autosales.orders.models import Order
from autosales.orders.selectors import order_for_staff
from autosales.pricing.shipping import ShippingMethod

PAGE_SIZE = 50
# The clerk's pages: the fulfillment role and managers (salespeople look at orders but do not ship them).
WORK = ("orders.view_order", "fulfillment.view_shipment")


@staff_permission_required(*WORK)
@require_GET
def queue(request):
    centers = centers_of(request.user)
    methods = list(ShippingMethod.objects.order_by("position", "name"))
    form = QueueFilterForm(request.GET, centers=centers, methods=methods)
    if not centers:
        return render(request, "backoffice/fulfillment/queue.html", {"form": form, "page": None, "rows": []})
    if not form.is_valid():
        return render(
            request, "backoffice/fulfillment/queue.html", {"form": form, "page": None, "rows": []}, status=400
        )
    warehouse = form.warehouse
    filters = QueueFilters(
        warehouse=warehouse,
        shipping_method=form.cleaned_data["method"],
        requested_by=form.cleaned_data["requested_by"],
        late=form.cleaned_data["late"],
    )
    page = Paginator(queue_orders(filters=filters), PAGE_SIZE).get_page(request.GET.get("page"))
    rows = queue_rows(warehouse=warehouse, orders=list(page))
    query = {k: v for k, v in form.data.items() if k in form.fields and v and k != "page"}
    return render(
        request,
        "backoffice/fulfillment/queue.html",
        {
            "form": form,
            "warehouse": warehouse,
            "page": page,
            "rows": rows,
            "page_query": urlencode(query),
            "max_batch": MAX_BATCH,
            "section": "queue",
        },
    )


def _batch(request):
    """(warehouse, batch) for a pick list or packing slips, or (None, redirect back with the reason)."""
    back = redirect(f"{reverse('backoffice:fulfillment_queue')}?{urlencode({'center': request.GET.get('center', '')})}")
    centers = {c.code: c for c in centers_of(request.user)}
    warehouse = centers.get(request.GET.get("center", ""))
    if warehouse is None:
        messages.error(request, "center: choose a distribution center.")
        return None, back
    chosen = list(dict.fromkeys(request.GET.getlist("order")))
    if not chosen:
        messages.error(request, "order: tick the orders to print.")
        return None, back
    if len(chosen) > MAX_BATCH:
        messages.error(request, f"order: at most {MAX_BATCH} orders at once; you ticked {len(chosen)}.")
        return None, back
    batch = queue_batch(warehouse=warehouse, public_ids=chosen)
    if not batch:
        messages.error(request, f"order: none of these orders is waiting at {warehouse.code} any more.")
        return None, back
    return warehouse, batch


def _pdf(content: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    return response


@staff_permission_required(*WORK)
@require_GET
def pick_list(request):
    warehouse, batch = _batch(request)
    if warehouse is None:
        return batch
    return _pdf(
        pick_list_pdf(warehouse=warehouse, batch=batch), f"pick-list-{warehouse.code}-{clock.now():%Y%m%d-%H%M}.pdf"
    )


@staff_permission_required(*WORK)
@require_GET
def packing_slips(request):
    warehouse, batch = _batch(request)
    if warehouse is None:
        return batch
    return _pdf(
        packing_slips_pdf(warehouse=warehouse, batch=batch),
        f"packing-slips-{warehouse.code}-{clock.now():%Y%m%d-%H%M}.pdf",
    )


def _order(public_id: str) -> Order:
    try:
        return order_for_staff(public_id=public_id)
    except NotFound as exc:
        raise Http404(exc.message) from exc


@staff_permission_required(*WORK)
@require_GET
def order_page(request, public_id: str):
    """One order as the clerk sees it: each center's part, what is not allocated anywhere, the shipments."""
    order = _order(public_id)
    return render(request, "backoffice/fulfillment/order.html", _order_context(request, order))


def _order_context(request, order: Order, **extra) -> dict:
    parts = order_parts(order=order)
    chosen = request.GET.get("center") or request.POST.get("center") or ""
    allocated = defaultdict(int)
    for part in parts:
        for line in part.lines:
            allocated[line.line_id] += line.allocated
    lines = [
        {
            "line": line,
            "allocated": allocated[line.pk],
            "unallocated": max(line.quantity - line.quantity_shipped - allocated[line.pk], 0),
        }
        for line in order.lines.all()
    ]
    context = {
        "order": order,
        "parts": parts,
        "lines": lines,
        "center": chosen,
        "section": "queue",
        "warehouse": next((p.warehouse for p in parts if p.warehouse.code == chosen), None),
    }
    context.update(extra)
    return context
