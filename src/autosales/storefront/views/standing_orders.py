"""Standing-order pages of the store: the organization's list, a new standing order (from scratch or from the
cart), and the customer's own detail, skip, un-skip, pause, resume, cancel and edit pages. The pages
themselves are shared with the back office and live in `recurring/pages.py`; these views check that the
standing order is the signed-in customer's and pass the store's scope.
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from autosales.recurring.models import StandingOrder
from autosales.recurring.pages import (
    Scope,
    cancel_page,
    detail_page,
    edit_delivery_page,
    edit_lines_page,
    edit_schedule_page,
    new_page,
    pause_action,
    resume_action,
    skip_action,
)
from autosales.recurring.presenters import schedule_in_words
from autosales.recurring.selectors import next_order_dates, standing_order_for, standing_orders_for_organization
from autosales.storefront.views.access import customer_object_or_404, customer_organization

PAGE_SIZE = 20
STATUS_CHOICES = StandingOrder.Status.choices


CUSTOMER = Scope(ns="storefront", layout="storefront/standing_orders/_layout.html")


# --- Customer access ---


def _customer_standing_order(request, public_id: str) -> StandingOrder:
    return customer_object_or_404(request, standing_order_for, public_id=public_id)


# --- Customer pages ---


@login_required
@require_GET
def standing_order_list(request):
    organization = customer_organization(request)
    status = request.GET.get("status", "")
    if status not in StandingOrder.Status.values:
        status = ""
    page = Paginator(
        standing_orders_for_organization(organization=organization, status=status or None), PAGE_SIZE
    ).get_page(request.GET.get("page"))
    rows = list(page.object_list)
    next_dates = next_order_dates(standing_orders=rows)
    return render(
        request,
        "storefront/standing_orders/list.html",
        {
            "organization": organization,
            "page": page,
            "rows": [(so, schedule_in_words(so), next_dates.get(so.pk)) for so in rows],
            "status": status,
            "statuses": STATUS_CHOICES,
            "page_query": f"status={status}" if status else "",
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def standing_order_new(request):
    return new_page(
        request,
        CUSTOMER,
        customer_organization(request),
        form_action=reverse("storefront:standing_order_new"),
        back_url=reverse("storefront:standing_orders"),
    )


@login_required
@require_GET
def standing_order_detail(request, public_id: str):
    return detail_page(request, CUSTOMER, _customer_standing_order(request, public_id))


@login_required
@require_POST
def standing_order_skip(request, public_id: str):
    return skip_action(request, CUSTOMER, _customer_standing_order(request, public_id))


@login_required
@require_POST
def standing_order_unskip(request, public_id: str):
    return skip_action(request, CUSTOMER, _customer_standing_order(request, public_id), unskip=True)


@login_required
@require_POST
def standing_order_pause(request, public_id: str):
    return pause_action(request, CUSTOMER, _customer_standing_order(request, public_id))


@login_required
@require_POST
def standing_order_resume(request, public_id: str):
    return resume_action(request, CUSTOMER, _customer_standing_order(request, public_id))


@login_required
@require_http_methods(["GET", "POST"])
def standing_order_cancel(request, public_id: str):
    return cancel_page(request, CUSTOMER, _customer_standing_order(request, public_id))


@login_required
@require_http_methods(["GET", "POST"])
def standing_order_edit_lines(request, public_id: str):
    return edit_lines_page(request, CUSTOMER, _customer_standing_order(request, public_id))


@login_required
@require_http_methods(["GET", "POST"])
def standing_order_edit_delivery(request, public_id: str):
    return edit_delivery_page(request, CUSTOMER, _customer_standing_order(request, public_id))


@login_required
@require_http_methods(["GET", "POST"])
def standing_order_edit_schedule(request, public_id: str):
    return edit_schedule_page(request, CUSTOMER, _customer_standing_order(request, public_id))
