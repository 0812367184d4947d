"""Back-office orders: list with filters and search, detail with the event trail, cancel with a reason."""

from urllib.parse import urlencode

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from autosales.core.errors import DomainError, NotFound
from autosales.customers.models import Organization
from autosales.customers.permissions import customer_change_allowed, customer_change_required, staff_permission_required
from autosales.orders.models import Order, OrderStatus
from autosales.orders.selectors import order_for_staff, orders_for_staff
from autosales.orders.services import order_cancel
from autosales.orders.transitions import CANCELLABLE, VISIBLE

PAGE_SIZE = 50
STATUS_CHOICES = [(value, label) for value, label in OrderStatus.choices if value in VISIBLE]


def _order(public_id: str) -> Order:
    try:
        return order_for_staff(public_id=public_id)
    except NotFound as exc:
        raise Http404(exc.message) from exc


def _can_cancel(request, order: Order) -> bool:
    return (
        request.user.has_perm("orders.change_order")
        and customer_change_allowed(user=request.user, organization=order.organization)
        and order.status in CANCELLABLE
        and not any(line.quantity_shipped for line in order.lines.all())
    )


@staff_permission_required("orders.view_order")
@require_GET
def orders(request):
    status = request.GET.get("status", "")
    if status not in VISIBLE:
        status = ""
    query = request.GET.get("q", "").strip()[:100]
    organization = None
    organization_id = request.GET.get("organization", "")
    if organization_id:
        organization = Organization.objects.filter(public_id=organization_id).first()
        if organization is None:
            organization_id = ""
    queryset = orders_for_staff(status=status or None, query=query, organization=organization)
    page = Paginator(queryset, PAGE_SIZE).get_page(request.GET.get("page"))
    filters = {k: v for k, v in (("status", status), ("q", query), ("organization", organization_id)) if v}
    return render(
        request,
        "backoffice/orders/list.html",
        {
            "page": page,
            "status": status,
            "query": query,
            "organization": organization,
            "statuses": STATUS_CHOICES,
            "page_query": urlencode(filters),
        },
    )


@staff_permission_required("orders.view_order")
@require_GET
def order_detail(request, public_id: str):
    order = _order(public_id)
    return render(request, "backoffice/orders/detail.html", {"order": order, "can_cancel": _can_cancel(request, order)})


@staff_permission_required("orders.view_order", "orders.change_order")
@require_POST
def order_cancel_view(request, public_id: str):
    order = _order(public_id)
    customer_change_required(user=request.user, organization=order.organization)
    try:
        order_cancel(order=order, actor=request.user, reason=request.POST.get("reason", ""))
    except DomainError as exc:
        order = _order(public_id)
        return render(
            request,
            "backoffice/orders/detail.html",
            {"order": order, "can_cancel": _can_cancel(request, order), "error": exc.message},
            status=exc.status,
        )
    messages.success(request, f"Order {order.number_display} is cancelled; the customer has been emailed.")
    return redirect("backoffice:order_detail", public_id=public_id)
