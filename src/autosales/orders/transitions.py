"""The order state machine: the table of allowed moves and the one function that makes them.

    pending_payment -> placed (card authorized) | on_account (charged to the vendor account)
    placed          -> paid (card captured) | cancelled
    paid            -> partially_shipped | shipped | cancelled | refunded
    on_account      -> partially_shipped | shipped | cancelled
    partially_shipped -> shipped
    shipped         -> delivered | refunded
    delivered       -> refunded
    cancelled, refunded: final

Nothing else assigns `Order.status`. A checkout that never got paid does not become an order at all:
its pending row is deleted by the checkout (see checkout.placement), so it has no move here.
"""

from django.conf import settings
from django.db import transaction

from autosales.core import clock
from autosales.core.errors import Conflict
from autosales.customers.selectors import ordering_contact_emails
from autosales.notifications.services import email_queue
from autosales.orders.errors import OrderError
from autosales.orders.models import Order, OrderEvent, OrderSource, OrderStatus

S = OrderStatus

ALLOWED: dict[str, frozenset[str]] = {
    S.PENDING_PAYMENT: frozenset({S.PLACED, S.ON_ACCOUNT}),
    S.PLACED: frozenset({S.PAID, S.CANCELLED}),
    S.PAID: frozenset({S.PARTIALLY_SHIPPED, S.SHIPPED, S.CANCELLED, S.REFUNDED}),
    S.ON_ACCOUNT: frozenset({S.PARTIALLY_SHIPPED, S.SHIPPED, S.CANCELLED}),
    S.PARTIALLY_SHIPPED: frozenset({S.SHIPPED}),
    S.SHIPPED: frozenset({S.DELIVERED, S.REFUNDED}),
    S.DELIVERED: frozenset({S.REFUNDED}),
    S.CANCELLED: frozenset(),
    S.REFUNDED: frozenset(),
}

# Statuses the customer and staff see as orders (a pending one is still a checkout in progress).
VISIBLE = frozenset(ALLOWED) - {S.PENDING_PAYMENT}
# Placed but nothing shipped yet: the order may still be cancelled.
CANCELLABLE = frozenset(s for s, moves in ALLOWED.items() if S.CANCELLED in moves)
# Promised goods not yet (all) shipped.
UNSHIPPED = frozenset({S.PLACED, S.PAID, S.ON_ACCOUNT, S.PARTIALLY_SHIPPED})

# The email each move owes the customer, written to the outbox in the same transaction.
EMAILS = {
    S.PLACED: "orders/confirmation",
    S.ON_ACCOUNT: "orders/confirmation",
    S.CANCELLED: "orders/cancelled",
}


def order_can_move(*, order: Order, to: str) -> bool:
    return to in ALLOWED[order.status]


def order_transition(*, order: Order, to: str, actor=None, reason: str = "", data: dict | None = None) -> Order:
    """Moves the order to `to` if the table allows it (else raises Conflict), saves, writes the event and queues its email."""
    with transaction.atomic():
        current = Order.objects.select_for_update().get(pk=order.pk)
        if to not in ALLOWED[current.status]:
            raise Conflict(
                OrderError.ILLEGAL_TRANSITION,
                f"A {current.get_status_display().lower()} order cannot become {OrderStatus(to).label.lower()}.",
                "status",
            )
        now = clock.now()
        previous = current.status
        order.status = to
        fields = ["status"]
        if previous == S.PENDING_PAYMENT:
            order.placed_at = now
            fields.append("placed_at")
        if to == S.CANCELLED:
            order.cancelled_at = now
            order.cancel_reason = reason
            fields += ["cancelled_at", "cancel_reason"]
        order.save(update_fields=fields)
        OrderEvent.objects.create(
            order=order,
            kind=OrderEvent.Kind.STATUS_CHANGED,
            actor=actor if getattr(actor, "pk", None) else None,
            at=now,
            data={"from": previous, "to": to, **({"reason": reason} if reason else {}), **(data or {})},
        )
        template = EMAILS.get(to)
        if template:
            order_email_queue(order=order, template=template, at=now)
    return order


def order_email_queue(*, order: Order, template: str, at=None, time_zone: str | None = None) -> None:
    """Writes `template` for this order to the outbox (once per order and template) and records it on the trail,
    its times in `time_zone` (default: the organization's zone, else the shop's).

    The email keeps a reference to the order and is rendered at delivery: nothing about it can undo the move.
    """
    recipients = order_recipients(order=order)
    if not recipients:
        return
    context = {
        "order": order,
        "number": order.number_display,
        "address_lines": order.address_lines(),
        "order_url": f"{settings.SHOP['base_url'].rstrip('/')}{order.get_absolute_url()}",
    }
    email = email_queue(
        to=recipients,
        template=template,
        context=context,
        related=order,
        message_id=f"{template.replace('/', '-')}-{order.public_id}",
        time_zone=time_zone or order.organization.local_time_zone,
    )
    OrderEvent.objects.create(
        order=order,
        kind=OrderEvent.Kind.EMAIL_QUEUED,
        at=at or clock.now(),
        data={"template": template, "to": recipients, "message_id": email.message_id},
    )


def order_recipients(*, order: Order) -> list[str]:
    """Who hears about an order: the person who placed it, else the organization's address.

    A standing order's orders go to the organization's current ordering contacts, as its other emails do: the
    user recorded as placing them set the standing order up, maybe a salesperson or someone who has left since.
    """
    if order.source == OrderSource.STANDING_ORDER:
        return ordering_contact_emails(organization=order.organization)
    if order.placed_by_id and order.placed_by.email:
        return [order.placed_by.email]
    return [order.organization.email] if order.organization.email else []
