"""One order at the center: ship lines of it (partially, from each center that holds them), mark its shipments
delivered, cancel what has not shipped. Each action calls one fulfillment service; errors come back on the form
naming the field."""

import datetime as dt
from urllib.parse import urlencode

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from autosales.backoffice.forms_fulfillment import centers_of
from autosales.backoffice.forms_shipping import CancelRemainderForm, DeliveredForm, ShipForm
from autosales.core import clock
from autosales.core.errors import DomainError, NotFound
from autosales.customers.permissions import staff_permission_required
from autosales.fulfillment.models import Shipment
from autosales.fulfillment.queue import allocated_by_line, order_parts
from autosales.fulfillment.receiving import WAITING
from autosales.fulfillment.selectors import fulfillment_of
from autosales.fulfillment.services import order_cancel_remainder, shipment_create, shipment_mark_delivered
from autosales.fulfillment.shipments import order_shippable
from autosales.orders.models import Order
from autosales.orders.selectors import order_for_staff

VIEW = ("orders.view_order", "fulfillment.view_shipment")
SHIP = ("orders.view_order", "fulfillment.add_shipment")
DELIVER = ("orders.view_order", "fulfillment.change_shipment")
CANCEL_REST = ("orders.change_order", "fulfillment.change_shipment")


def _order(public_id: str) -> Order:
    try:
        order = order_for_staff(public_id=public_id)
    except NotFound as exc:
        raise Http404(exc.message) from exc
    return order


def _page_url(order: Order, center: str = "") -> str:
    url = reverse("backoffice:fulfillment_order", args=[order.public_id])
    return f"{url}?{urlencode({'center': center})}" if center else url


def _render(request, order: Order, *, ship_form: ShipForm | None = None, status: int = 200, **extra):
    """The order's fulfillment page; `ship_form` replaces its center's fresh form (a form sent back with errors)."""
    user = request.user
    parts = order_parts(order=order)
    allowed = {c.code for c in centers_of(user)}
    shippable = order_shippable(order)
    can_ship = user.has_perms(SHIP) and shippable
    forms = []
    for part in parts:
        code = part.warehouse.code
        if ship_form is not None and ship_form.data.get("center") == code:
            form = ship_form  # sent back with its errors, even when the order can no longer ship
        elif not (can_ship and code in allowed):
            form = None
        else:
            form = ShipForm(center=code, lines=part.lines)
        forms.append((part, form))
    if ship_form is not None and not any(form is ship_form for _, form in forms):
        # Nothing of the order is left at that center (shipped meanwhile): the form's errors go on the page.
        extra.setdefault("error", " ".join(e for errors in ship_form.errors.values() for e in errors))
    allocated = allocated_by_line(parts)
    lines = [{"line": line, "allocated": allocated[line.pk]} for line in order.lines.all()]
    open_units = sum(line.quantity_open for line in order.lines.all())
    cancel_form = extra.pop("cancel_form", None) or CancelRemainderForm()
    context = {
        "order": order,
        "parts": forms,
        "lines": lines,
        "fulfillment": fulfillment_of(order),
        "center": request.GET.get("center") or request.POST.get("center") or "",
        "warehouse": None,
        "section": "queue",
        "shippable": shippable,
        "can_deliver": user.has_perms(DELIVER),
        "cancel_form": (
            cancel_form if user.has_perms(CANCEL_REST) and open_units and order.status in WAITING else None
        ),
        "delivered_form": DeliveredForm(),
    }
    context.update(extra)
    return render(request, "backoffice/fulfillment/order.html", context, status=status)


@staff_permission_required(*VIEW)
@require_GET
def order_page(request, public_id: str):
    return _render(request, _order(public_id))


@staff_permission_required(*SHIP)
@require_POST
def order_ship(request, public_id: str):
    order = _order(public_id)
    center = request.POST.get("center", "")
    warehouse = next((c for c in centers_of(request.user) if c.code == center), None)
    part = next((p for p in order_parts(order=order) if p.warehouse.code == center), None)
    if warehouse is None or part is None:
        messages.error(
            request,
            f"center: nothing of order {order.number_display} waits at {center or 'that center'} for you to ship.",
        )
        return redirect(_page_url(order))
    form = ShipForm(request.POST, center=center, lines=part.lines)
    if not form.is_valid():
        return _render(request, order, ship_form=form, status=400)
    try:
        shipment = shipment_create(
            order=order,
            warehouse=warehouse,
            lines=form.quantities(),
            carrier=form.cleaned_data["carrier"],
            tracking_number=form.cleaned_data["tracking_number"],
            parcels=form.cleaned_data["parcels"],
            weight_grams=form.weight_grams(),
            actor=request.user,
            idempotency_key=form.cleaned_data["idempotency_key"],
        )
    except DomainError as exc:
        if exc.field == "idempotency_key":
            # This form shipped already and was changed since (the back button): show what is left, fresh.
            error = (
                "This form was sent already, for a shipment with other quantities. Here is what is left to ship now."
            )
            return _render(request, _order(public_id), status=exc.status, error=error)
        form.add_error(form.field_for(exc.field), exc.message)
        return _render(request, _order(public_id), ship_form=form, status=exc.status)
    units = sum(line.quantity for line in shipment.lines.all())
    messages.success(
        request,
        f"Shipment {shipment.number}: {units} unit{'s' if units != 1 else ''} left {warehouse.code} with "
        f"{shipment.carrier_name}, tracking {shipment.tracking_number}. The customer has been emailed.",
    )
    return redirect(_page_url(order, center))


def _delivered_at(day: dt.date | None) -> dt.datetime | None:
    """A day the clerk types, as a moment: now for today (or no day), else noon of that day in their zone."""
    if day is None or day >= timezone.localdate(clock.now()):
        return None
    return dt.datetime.combine(day, dt.time(12), tzinfo=timezone.get_current_timezone())


@staff_permission_required(*DELIVER)
@require_POST
def shipment_delivered(request, public_id: str):
    shipment = Shipment.objects.select_related("order", "warehouse").filter(public_id=public_id).first()
    if shipment is None:
        raise Http404("No such shipment.")
    form = DeliveredForm(request.POST)
    order = shipment.order
    if form.is_valid():
        try:
            shipment_mark_delivered(
                shipment=shipment, actor=request.user, delivered_at=_delivered_at(form.cleaned_data["delivered_on"])
            )
        except DomainError as exc:
            form.add_error("delivered_on" if exc.field == "delivered_at" else None, exc.message)
    if form.errors:
        errors = "; ".join(
            f"{field}: {' '.join(e)}" if field != "__all__" else " ".join(e) for field, e in form.errors.items()
        )
        return _render(request, _order(order.public_id), status=400, error=f"{shipment.number}: {errors}")
    messages.success(request, f"Shipment {shipment.number} is delivered.")
    return redirect(_page_url(order, request.POST.get("center", "")))


@staff_permission_required(*CANCEL_REST)
@require_POST
def order_cancel_rest(request, public_id: str):
    order = _order(public_id)
    form = CancelRemainderForm(request.POST)
    if form.is_valid():
        try:
            order_cancel_remainder(order=order, reason=form.cleaned_data["reason"], actor=request.user)
        except DomainError as exc:
            form.add_error("reason" if exc.field == "reason" else None, exc.message)
    if form.errors:
        return _render(request, _order(public_id), cancel_form=form, status=400)
    messages.success(
        request,
        f"What was left of order {order.number_display} is cancelled; its stock is released and the customer emailed.",
    )
    return redirect(_page_url(order, request.POST.get("center", "")))
