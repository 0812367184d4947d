"""The clerk's queue and the paper printed from it: orders a distribution center can ship, pick lists and
packing slips for a batch of them (PDF)."""

from urllib.parse import urlencode

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.functional import cached_property
from django.views.decorators.http import require_GET

from autosales.backoffice.forms_fulfillment import MAX_BATCH, QueueFilterForm, centers_of
from autosales.core import clock
from autosales.customers.permissions import staff_permission_required
from autosales.fulfillment.documents import packing_slips_pdf, pick_list_pdf
from autosales.fulfillment.queue import QueueFilters, queue_batch, queue_orders, queue_rows
from autosales.pricing.shipping import ShippingMethod

PAGE_SIZE = 50
# The queue counts and pages through this many orders at most: a center with more narrows it with the filters
# (counting 10,000 open orders exactly would cost more than the page itself).
SHOWN = 1000


class QueuePaginator(Paginator):
    """Counts up to SHOWN orders; `more` says there are others beyond them."""

    @cached_property
    def found(self) -> int:
        return self.object_list[: SHOWN + 1].count()

    @cached_property
    def count(self) -> int:
        return min(self.found, SHOWN)

    @property
    def more(self) -> bool:
        return self.found > SHOWN


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
    page = QueuePaginator(queue_orders(filters=filters), PAGE_SIZE).get_page(request.GET.get("page"))
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
