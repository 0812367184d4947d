"""Back-office reorder watch: the regular customers (of the user's accounts) whose predicted reorder is due within
the reorder rule's days, overdue, or lapsing (past the lapsing rule's days), the most valuable expected order
first, with a CSV of the same rows. One query for the rows whatever their number."""

import csv

from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from autosales.backoffice.views_crm import crm_page
from autosales.core import clock
from autosales.core.money import quantize
from autosales.core.spreadsheets import spreadsheet_cell
from autosales.crm.automation import LAPSING, REORDER_DUE, rule_settings
from autosales.crm.prediction.selectors import WATCH_STATUSES, reorder_watchlist


def _watchlist(request):
    status = request.GET.get("status", "")
    status = status if status in WATCH_STATUSES else ""
    settings = rule_settings()
    due_days, lapse_days = settings[REORDER_DUE.code].days, settings[LAPSING.code].days
    rows = reorder_watchlist(
        user=request.user, today=clock.today(), due_days=due_days, lapse_days=lapse_days, status=status or None
    )
    return status, due_days, lapse_days, rows


@crm_page
@require_GET
def reorders(request):
    status, due_days, lapse_days, rows = _watchlist(request)
    return render(
        request,
        "backoffice/crm/reorders.html",
        {
            "rows": rows,
            "status": status,
            "statuses": WATCH_STATUSES,
            "due_days": due_days,
            "lapse_days": lapse_days,
            "today": clock.today(),
        },
    )


@crm_page
@require_GET
def reorders_csv(request):
    _, _, _, rows = _watchlist(request)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="reorders-{clock.today():%Y-%m-%d}.csv"'
    writer = csv.writer(response)
    writer.writerow(
        [
            "customer",
            "customer_id",
            "salesperson",
            "status",
            "sku",
            "product",
            "every_days",
            "last_order",
            "next_order",
            "days_late",
            "expected_quantity",
            "expected_value",
            "currency",
            "confidence",
        ]
    )
    for row in rows:
        p = row.prediction
        owner = p.organization.salesperson
        writer.writerow(
            [
                spreadsheet_cell(p.organization.name),
                p.organization.public_id,
                spreadsheet_cell(owner.get_username() if owner else ""),
                row.status,
                spreadsheet_cell(p.variant.sku if p.variant else ""),
                spreadsheet_cell(row.product_name),
                round(p.interval_days),
                p.last_order_at.date().isoformat(),
                p.next_on.isoformat(),
                row.days_late,
                p.expected_quantity,
                quantize(p.expected_value, p.currency),
                p.currency,
                f"{p.confidence:.2f}",
            ]
        )
    return response
