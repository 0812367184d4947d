"""The order state machine: the table of allowed moves and the one function that makes them.

    pending_payment -> placed (card authorized) | on_account (charged to the vendor account)
    placed          -> paid (card captured) | partially_shipped | shipped (the shop captures at shipment) | cancelled
    paid            -> partially_shipped | shipped | cancelled | refunded
    on_account      -> partially_shipped | shipped | cancelled
    partially_shipped -> shipped (the last units shipped, or the unshipped remainder cancelled)
    shipped         -> delivered | refunded
    delivered       -> refunded
    cancelled, refunded: final

Nothing else assigns `Order.status`. A checkout that never got paid does not become an order at all:
its pending row is deleted by the checkout (see checkout.placement), so it has no move here.
"""

from collections.abc import Sequence
from itertools import pairwise

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext

from autosales.core import clock
from autosales.core.errors import Conflict
from autosales.customers.selectors import ordering_contact_emails
from autosales.notifications.services import email_queue
from autosales.orders.errors import OrderError
from autosales.orders.models import Order, OrderEvent, OrderSource, OrderStatus

S = OrderStatus

ALLOWED: dict[str, frozenset[str]] = {
    S.PENDING_PAYMENT: frozenset({S.PLACED, S.ON_ACCOUNT}),
    S.PLACED: frozenset({S.PAID, S.PARTIALLY_SHIPPED, S.SHIPPED, S.CANCELLED}),
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


def order_transition(
    *,
    order: Order,
    to: str,
    actor=None,
    reason: str = "",
    data: dict | None = None,
    via: Sequence[str] = (),
    events: list[OrderEvent] | None = None,
) -> Order:
    """Moves the order to `to` if the table allows it (else raises Conflict), saves, writes the event and queues its email.

    `via`: statuses passed through on the way, each move checked against the table and given its event and
    its email (a card sale: pending_payment -> placed -> paid). The move is one guarded UPDATE that changes
    the row only from the status this order was read with, which locks it and re-checks the stored status in
    the same statement. `events`: other events of the same change, written with the moves' own in one INSERT;
    the moves' events are appended to it, so that the caller holds the change's whole trail. In the caller's
    transaction when there is one, without a savepoint (a refusal writes nothing).
    """
    if not transaction.get_connection().in_atomic_block:
        with transaction.atomic():
            return order_transition(order=order, to=to, actor=actor, reason=reason, data=data, via=via, events=events)
    path = [*via, to]
    for step, following in pairwise(path):
        if following not in ALLOWED[step]:
            raise ValueError(f"no move from {step} to {following}")
    now = clock.now()
    previous = order.status
    while True:
        if path[0] not in ALLOWED[previous]:
            # Nothing was written: the caller's transaction goes on unharmed.
            raise Conflict(
                OrderError.ILLEGAL_TRANSITION,
                gettext("A %(current)s order cannot become %(to)s.")
                % {"current": OrderStatus(previous).label.lower(), "to": OrderStatus(to).label.lower()},
                "status",
            )
        fields = {"status": to, "updated_at": now}
        if previous == S.PENDING_PAYMENT:
            fields["placed_at"] = now
        if to == S.CANCELLED:
            fields.update(cancelled_at=now, cancel_reason=reason)
        if Order.objects.filter(pk=order.pk, status=previous).update(**fields):
            break
        # Moved since this order was read: decide again from the status stored now.
        stored = Order.objects.filter(pk=order.pk).values_list("status", flat=True).first()
        if stored is None:
            raise Order.DoesNotExist(f"order {order.pk} no longer exists")
        previous = stored
    for name, value in fields.items():
        setattr(order, name, value)
    # Past the move, a failure leaves it half made: the whole transaction must roll back.
    with transaction.atomic(savepoint=False):
        who = actor if getattr(actor, "pk", None) else None
        written = events if events is not None else []
        for step, following in pairwise([previous, *path]):
            extra = {**({"reason": reason} if reason else {}), **(data or {})} if following == to else {}
            written.append(
                OrderEvent(
                    order=order,
                    kind=OrderEvent.Kind.STATUS_CHANGED,
                    actor=who,
                    at=now,
                    data={"from": step, "to": following, **extra},
                )
            )
            template = EMAILS.get(following)
            if template:
                # The move from the stored status happens once: no earlier email of it can exist.
                email_event = _order_email(order=order, template=template, at=now, first=step == S.PENDING_PAYMENT)
                if email_event is not None:
                    written.append(email_event)
        OrderEvent.objects.bulk_create(written)
    return order


def order_email_queue(*, order: Order, template: str, at=None, time_zone: str | None = None) -> None:
    """Writes `template` for this order to the outbox (once per order and template) and records it on the trail,
    its times in `time_zone` (default: the organization's zone, else the shop's).

    The email keeps a reference to the order and is rendered at delivery: nothing about it can undo the move.
    """
    event = _order_email(order=order, template=template, at=at, time_zone=time_zone)
    if event is not None:
        event.save()


def _order_email(
    *, order: Order, template: str, at=None, time_zone: str | None = None, first: bool = False
) -> OrderEvent | None:
    """Writes the outbox row and returns its trail event, unsaved (None: nobody to write to)."""
    recipients = order_recipients(order=order)
    if not recipients:
        return None
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
        language=order.organization.email_language,
        first=first,
    )
    return OrderEvent(
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
