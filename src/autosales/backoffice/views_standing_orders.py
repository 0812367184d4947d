"""Back-office standing orders: every organization's list (status filter, organization search), the detail and
edit pages acting on the customer's behalf (recorded with the staff user), and the demand forecast with its CSV."""

import csv
from urllib.parse import urlencode

from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from autosales.core import clock
from autosales.core.errors import NotFound
from autosales.core.spreadsheets import spreadsheet_cell
from autosales.customers.models import Organization
from autosales.customers.permissions import customer_change_allowed, customer_change_required, staff_permission_required
from autosales.customers.selectors import organizations_matching
from autosales.recurring import pages
from autosales.recurring.models import StandingOrder
from autosales.recurring.pages import Scope
from autosales.recurring.presenters import schedule_in_words
from autosales.recurring.selectors import (
    Forecast,
    demand_forecast,
    next_order_dates,
    standing_order_for,
    standing_orders_for_staff,
)

PAGE_SIZE = 50
VIEW = "recurring.view_standingorder"
CHANGE = "recurring.change_standingorder"
CHOOSE_LIMIT = 20
STAFF = Scope(ns="backoffice", layout="backoffice/standing_orders/_layout.html", staff=True)


def _standing_order(public_id: str) -> StandingOrder:
    try:
        return standing_order_for(public_id=public_id, organization=None)
    except NotFound as exc:
        raise Http404(exc.message) from exc


def _changeable(request, public_id: str) -> StandingOrder:
    """The standing order, when the user may change its customer's (a salesperson: their own customers'); else 403."""
    standing_order = _standing_order(public_id)
    customer_change_required(user=request.user, organization=standing_order.organization)
    return standing_order


@staff_permission_required(VIEW)
@require_GET
def standing_orders(request):
    status = request.GET.get("status", "")
    if status not in StandingOrder.Status.values:
        status = ""
    query = request.GET.get("q", "").strip()[:100]
    queryset = standing_orders_for_staff(status=status or None, query=query)
    page = Paginator(queryset, PAGE_SIZE).get_page(request.GET.get("page"))
    rows = list(page.object_list)
    next_dates = next_order_dates(standing_orders=rows)
    return render(
        request,
        "backoffice/standing_orders/list.html",
        {
            "page": page,
            "rows": [(so, schedule_in_words(so), next_dates.get(so.pk)) for so in rows],
            "status": status,
            "query": query,
            "statuses": StandingOrder.Status.choices,
            "page_query": urlencode({k: v for k, v in (("status", status), ("q", query)) if v}),
        },
    )


@staff_permission_required(VIEW)
@require_GET
def standing_order_detail(request, public_id: str):
    return pages.detail_page(request, STAFF, _standing_order(public_id))


@staff_permission_required(VIEW, CHANGE)
@require_POST
def standing_order_skip(request, public_id: str):
    return pages.skip_action(request, STAFF, _changeable(request, public_id))


@staff_permission_required(VIEW, CHANGE)
@require_POST
def standing_order_unskip(request, public_id: str):
    return pages.skip_action(request, STAFF, _changeable(request, public_id), unskip=True)


@staff_permission_required(VIEW, CHANGE)
@require_POST
def standing_order_pause(request, public_id: str):
    return pages.pause_action(request, STAFF, _changeable(request, public_id))


@staff_permission_required(VIEW, CHANGE)
@require_POST
def standing_order_resume(request, public_id: str):
    return pages.resume_action(request, STAFF, _changeable(request, public_id))


@staff_permission_required(VIEW, CHANGE)
@require_http_methods(["GET", "POST"])
def standing_order_cancel(request, public_id: str):
    return pages.cancel_page(request, STAFF, _changeable(request, public_id))


@staff_permission_required(VIEW, CHANGE)
@require_http_methods(["GET", "POST"])
def standing_order_edit_lines(request, public_id: str):
    return pages.edit_lines_page(request, STAFF, _changeable(request, public_id))


@staff_permission_required(VIEW, CHANGE)
@require_http_methods(["GET", "POST"])
def standing_order_edit_delivery(request, public_id: str):
    return pages.edit_delivery_page(request, STAFF, _changeable(request, public_id))


@staff_permission_required(VIEW, CHANGE)
@require_http_methods(["GET", "POST"])
def standing_order_edit_schedule(request, public_id: str):
    return pages.edit_schedule_page(request, STAFF, _changeable(request, public_id))


# Forecast


def _forecast_rows(forecast: Forecast) -> list[dict]:
    """Each SKU's weeks with, per week, whether the running demand has outgrown the stock available now."""
    rows = []
    for row in forecast.rows:
        running, cells = 0, []
        for units in row.weeks:
            running += units
            cells.append({"units": units, "short": running > row.available})
        rows.append({"row": row, "cells": cells})
    return rows


@staff_permission_required(VIEW)
@require_GET
def forecast(request):
    result = demand_forecast()
    return render(
        request,
        "backoffice/standing_orders/forecast.html",
        {"forecast": result, "rows": _forecast_rows(result), "shortages": sum(1 for r in result.rows if r.short)},
    )


@staff_permission_required(VIEW)
@require_GET
def forecast_csv(request):
    result = demand_forecast()
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="forecast-{clock.today():%Y-%m-%d}.csv"'
    writer = csv.writer(response)
    writer.writerow(
        ["sku", "name", "available", *(f"week of {day:%Y-%m-%d}" for day in result.week_starts), "total", "short_from"]
    )
    for row in result.rows:
        short_from = result.week_starts[row.shortage_week].isoformat() if row.short else ""
        writer.writerow(
            [spreadsheet_cell(row.sku), spreadsheet_cell(row.name), row.available, *row.weeks, row.total, short_from]
        )
    return response


@staff_permission_required(VIEW, CHANGE)
@require_GET
def standing_order_new_choose(request):
    """Pick the customer to set a standing order up for (search by organization name)."""
    query = request.GET.get("q", "").strip()[:100]
    found = organizations_matching(query=query, limit=CHOOSE_LIMIT) if query else []
    organizations = [o for o in found if customer_change_allowed(user=request.user, organization=o)]
    return render(
        request,
        "backoffice/standing_orders/choose_organization.html",
        {"query": query, "organizations": organizations, "limit": CHOOSE_LIMIT},
    )


@staff_permission_required(VIEW, CHANGE)
@require_http_methods(["GET", "POST"])
def standing_order_new(request, organization_public_id: str):
    organization = Organization.objects.filter(public_id=organization_public_id).first()
    if organization is None:
        raise Http404("No such customer.")
    customer_change_required(user=request.user, organization=organization)
    offered = "sku" in request.GET or "every_weeks" in request.GET
    return pages.new_page(
        request,
        STAFF,
        organization,
        form_action=reverse("backoffice:standing_order_new", args=[organization.public_id]),
        back_url=reverse("backoffice:standing_orders"),
        prefill=pages.prefill_from_query(request.GET, today=clock.today()) if offered else None,
    )
