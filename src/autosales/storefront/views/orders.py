"""Order pages for customers: history, detail, the confirmation page, cancel before shipping."""

from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext
from django.views.decorators.http import require_GET, require_POST

from autosales.core.errors import DomainError, NotFound
from autosales.customers.selectors import organization_for_user, people_by_email
from autosales.fulfillment.selectors import fulfillment_of
from autosales.orders.models import Order, OrderStatus
from autosales.orders.presenters import order_history
from autosales.orders.selectors import order_for_customer, order_summary_for_customer, orders_for_organization
from autosales.orders.services import order_cancel
from autosales.orders.transitions import CANCELLABLE, VISIBLE

PAGE_SIZE = 20
STATUS_CHOICES = [(value, label) for value, label in OrderStatus.choices if value in VISIBLE]


def _organization(request):
    organization = organization_for_user(user=request.user)
    if organization is None:
        raise Http404("You do not belong to a customer organization.")
    return organization


def _order(request, public_id: str) -> Order:
    try:
        return order_for_customer(public_id=public_id, organization=_organization(request))
    except NotFound as exc:
        raise Http404(exc.message) from exc


def _detail_context(order: Order, **extra) -> dict:
    return {
        "order": order,
        "can_cancel": can_cancel(order),
        "fulfillment": fulfillment_of(order),
        "history": order_history(order, people=people_by_email(organization=order.organization)),
        **extra,
    }


def can_cancel(order: Order) -> bool:
    return order.status in CANCELLABLE and not any(line.quantity_shipped for line in order.lines.all())


@login_required
@require_GET
def order_list(request):
    organization = _organization(request)
    status = request.GET.get("status", "")
    if status and status not in VISIBLE:
        status = ""
    query = request.GET.get("q", "")[:100]
    reference = request.GET.get("po", "")[:100]
    orders = orders_for_organization(organization=organization, status=status or None, query=query, reference=reference)
    page = Paginator(orders, PAGE_SIZE).get_page(request.GET.get("page"))
    page_query = urlencode({k: v for k, v in (("status", status), ("q", query), ("po", reference)) if v})
    return render(
        request,
        "storefront/orders/list.html",
        {
            "organization": organization,
            "page": page,
            "orders": page.object_list,
            "status": status,
            "query": query,
            "reference": reference,
            "statuses": STATUS_CHOICES,
            "page_query": page_query,
        },
    )


@login_required
@require_GET
def order_detail(request, public_id: str):
    order = _order(request, public_id)
    return render(
        request,
        "storefront/orders/detail.html",
        _detail_context(order),
    )


@login_required
@require_GET
def order_confirmation(request, public_id: str):
    try:
        order = order_summary_for_customer(public_id=public_id, organization=_organization(request))
    except NotFound as exc:
        raise Http404(exc.message) from exc
    return render(request, "storefront/orders/confirmation.html", {"order": order})


@login_required
@require_POST
def order_cancel_view(request, public_id: str):
    order = _order(request, public_id)
    reason = request.POST.get("reason", "").strip() or "Cancelled by the customer"
    try:
        order_cancel(order=order, actor=request.user, reason=reason)
    except DomainError as exc:
        order = _order(request, public_id)
        return render(
            request,
            "storefront/orders/detail.html",
            _detail_context(order, error=exc.message),
            status=exc.status,
        )
    messages.success(
        request, gettext("Order %(number)s is cancelled. We have sent you an email.") % {"number": order.number_display}
    )
    return redirect("storefront:order_detail", public_id=order.public_id)
