"""Replenishment: per SKU (and center) the stock, what is allocated, the standing-order demand of the forecast,
the backorders and a suggested quantity to order in; as a page and as CSV.

The back office joins the two layer-6 apps here: recurring's forecast gives the demand, fulfillment turns it
and the stock into suggestions (fulfillment never reads standing orders itself)."""

import csv

from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from autosales.backoffice.forms_fulfillment import centers_of
from autosales.core import clock
from autosales.core.spreadsheets import spreadsheet_cell
from autosales.customers.permissions import staff_permission_required
from autosales.fulfillment.replenishment import replenishment_rows
from autosales.recurring.replenishment import forecast_demand
from autosales.recurring.selectors import FORECAST_WEEKS

REPLENISH = ("fulfillment.view_stockreceipt", "inventory.view_stocklevel", "recurring.view_standingorder")
PAGE_SIZE = 100


def _rows(request):
    """(rows, chosen center or None, needs only, centers) from the query string; an unknown center is all."""
    centers = centers_of(request.user)
    warehouse = next((c for c in centers if c.code == request.GET.get("center")), None)
    needs_only = request.GET.get("need") == "1"
    return (
        replenishment_rows(demand=forecast_demand(), warehouse=warehouse, needs_only=needs_only),
        warehouse,
        needs_only,
        centers,
    )


@staff_permission_required(*REPLENISH)
@require_GET
def replenishment(request):
    rows, warehouse, needs_only, centers = _rows(request)
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    query = "&".join(p for p in (f"center={warehouse.code}" if warehouse else "", "need=1" if needs_only else "") if p)
    return render(
        request,
        "backoffice/fulfillment/replenishment.html",
        {
            "page": page,
            "chosen": warehouse,
            "centers": centers,
            "needs_only": needs_only,
            "weeks": FORECAST_WEEKS,
            "page_query": query,
            "to_order": sum(r.suggested for r in rows),
            "section": "replenishment",
        },
    )


@staff_permission_required(*REPLENISH)
@require_GET
def replenishment_csv(request):
    rows, warehouse, _, _ = _rows(request)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    where = warehouse.code if warehouse else "all-centers"
    response["Content-Disposition"] = f'attachment; filename="replenishment-{where}-{clock.today():%Y-%m-%d}.csv"'
    writer = csv.writer(response)
    writer.writerow(
        [
            "sku",
            "name",
            "center",
            "on_hand",
            "allocated",
            "available",
            f"demand_{FORECAST_WEEKS}_weeks",
            "backordered",
            "suggested",
        ]
    )
    for row in rows:
        writer.writerow(
            [
                spreadsheet_cell(row.sku),
                spreadsheet_cell(row.name),
                row.warehouse_code or "all",
                row.on_hand,
                row.allocated,
                row.available,
                row.demand,
                row.backordered,
                row.suggested,
            ]
        )
    return response
