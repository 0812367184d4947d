"""shipment_create: units of an order leave a distribution center; shipment_mark_delivered: they arrived.

The flow of a shipment (no lock is held while the gateway is called):
1. outside any transaction: check the request (lines, carrier, tracking number, parcels, weight); a key met
   before answers with its shipment (the same request) or a 409 (another request under that key);
2. in one transaction, with the order row locked first (so two clerks, or a clerk and the API, shipping the
   same order queue up and the second sees what the first shipped): check each line against the units
   allocated to it at that warehouse, consume those allocations and the stock rows (locked in primary-key
   order) exactly once, raise the lines' shipped units, write the shipment, move the order to partially
   shipped or shipped, write the trail and the shipping confirmation email to the outbox;
3. a shop that captures at shipment: capture this shipment's amount from the card's authorization
   (fulfillment.capture); a gateway that fails leaves it to the capture job.
"""

import datetime as dt
import hashlib
import json
from collections import defaultdict
from collections.abc import Mapping

from django.db import IntegrityError, transaction
from django.db.models import F

from autosales.core import clock
from autosales.core.errors import NUL, Conflict, DomainError
from autosales.core.money import Money
from autosales.fulfillment.capture import (
    capture_at_shipment,
    order_authorized_payment,
    shipment_capture,
    shipment_capture_amount,
)
from autosales.fulfillment.carriers import carrier_get
from autosales.fulfillment.emails import shipment_email_event
from autosales.fulfillment.errors import FulfillmentError
from autosales.fulfillment.models import CaptureStatus, Shipment, ShipmentLine, ShipmentStatus
from autosales.fulfillment.transitions import shipment_transition
from autosales.inventory.locks import stock_levels_by_id_for_update
from autosales.inventory.models import StockLevel, Warehouse
from autosales.orders.models import Order, OrderAllocation, OrderEvent, OrderLine, OrderStatus
from autosales.orders.transitions import order_transition

MAX_KEY_LENGTH = 200
MAX_TRACKING = 64
MAX_PARCELS = 999
MAX_WEIGHT_GRAMS = 50_000_000  # 50 t: a full truck

# Orders whose goods may leave: paid, on account, partly shipped, and placed card orders of a shop that
# captures at shipment (their card is authorized and each shipment captures its part).
SHIPPABLE = frozenset({OrderStatus.PAID, OrderStatus.ON_ACCOUNT, OrderStatus.PARTIALLY_SHIPPED})


def order_shippable(order: Order) -> bool:
    if order.status in SHIPPABLE:
        return True
    return order.status == OrderStatus.PLACED and capture_at_shipment(order)


def _clean_key(key: str | None) -> str:
    key = (key or "").strip()
    if len(key) > MAX_KEY_LENGTH or not key.isprintable():
        raise DomainError(
            FulfillmentError.IDEMPOTENCY_KEY_INVALID,
            f"An idempotency key is 1 to {MAX_KEY_LENGTH} printable characters.",
            "idempotency_key",
        )
    return key


def _clean_lines(lines: Mapping[int, int]) -> dict[int, int]:
    if not lines:
        raise DomainError(FulfillmentError.LINES_REQUIRED, "Choose at least one line and a quantity to ship.", "lines")
    cleaned: dict[int, int] = {}
    for line_id, quantity in lines.items():
        if isinstance(line_id, bool) or not str(line_id).isdigit():
            raise DomainError(FulfillmentError.LINE_NOT_ON_ORDER, f"No order line {line_id!r}.", f"lines.{line_id}")
        if isinstance(quantity, bool) or not isinstance(quantity, int) or quantity < 0:
            raise DomainError(
                FulfillmentError.QUANTITY_INVALID,
                "A quantity to ship is a whole number, 0 or more.",
                f"lines.{line_id}",
            )
        if quantity:
            cleaned[int(line_id)] = quantity
    if not cleaned:
        raise DomainError(FulfillmentError.LINES_REQUIRED, "Ship at least one unit.", "lines")
    return cleaned


def _clean_tracking(tracking_number: str) -> str:
    tracking = " ".join((tracking_number or "").split())
    if not tracking or len(tracking) > MAX_TRACKING or NUL in tracking:
        raise DomainError(
            FulfillmentError.TRACKING_INVALID,
            f"Enter the carrier's tracking number (1 to {MAX_TRACKING} characters).",
            "tracking_number",
        )
    return tracking


def request_hash(
    *,
    order: Order,
    warehouse: Warehouse,
    lines: Mapping[int, int],
    carrier: str,
    tracking_number: str,
    parcels: int,
    weight_grams: int | None,
    shipped_at: dt.datetime | None,
) -> str:
    """What a shipment request asks for, as a digest: the same key must come with the same request."""
    body = {
        "order": order.public_id,
        "warehouse": warehouse.code,
        "lines": sorted([int(k), int(v)] for k, v in lines.items()),
        "carrier": carrier,
        "tracking": tracking_number,
        "parcels": parcels,
        "weight": weight_grams,
        "shipped_at": shipped_at.isoformat() if shipped_at else None,
    }
    return hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()


def _replay(*, key: str, digest: str) -> Shipment | None:
    """The shipment made under `key` when it was made by this same request; 409 when by another; None if none."""
    if not key:
        return None
    existing = Shipment.objects.filter(idempotency_key=key).select_related("order", "warehouse").first()
    if existing is None:
        return None
    if existing.request_hash != digest:
        raise Conflict(
            FulfillmentError.IDEMPOTENCY_KEY_REUSED,
            f"This idempotency key was used for shipment {existing.number} with a different request; "
            "send a new key for a new shipment.",
            "idempotency_key",
        )
    return existing


def shipment_create(
    *,
    order: Order,
    warehouse: Warehouse,
    lines: Mapping[int, int],
    carrier: str,
    tracking_number: str,
    parcels: int = 1,
    weight_grams: int | None = None,
    actor,
    idempotency_key: str = "",
    shipped_at: dt.datetime | None = None,
) -> Shipment:
    """Ships `lines` (order line id -> units) of `order` from `warehouse` exactly once: never more than is
    allocated there, stock and allocations consumed once, the order moved and the customer's email written in
    the same transaction. The same `idempotency_key` with the same request returns the same shipment; with
    another request it raises Conflict (409). Raises DomainError naming the field for bad input."""
    wanted = _clean_lines(lines)
    carrier_code = carrier_get(carrier).code
    tracking = _clean_tracking(tracking_number)
    if isinstance(parcels, bool) or not isinstance(parcels, int) or not 1 <= parcels <= MAX_PARCELS:
        raise DomainError(
            FulfillmentError.PARCELS_INVALID, f"Parcels: a whole number from 1 to {MAX_PARCELS}.", "parcels"
        )
    if weight_grams is not None and (
        isinstance(weight_grams, bool) or not isinstance(weight_grams, int) or not 1 <= weight_grams <= MAX_WEIGHT_GRAMS
    ):
        raise DomainError(
            FulfillmentError.WEIGHT_INVALID, f"Weight: whole grams from 1 to {MAX_WEIGHT_GRAMS}.", "weight_grams"
        )
    now = clock.now()
    if shipped_at is not None:
        if shipped_at.tzinfo is None:
            raise DomainError(FulfillmentError.SHIPPED_AT_INVALID, "Give the time with its time zone.", "shipped_at")
        if shipped_at > now + dt.timedelta(minutes=5):
            raise DomainError(
                FulfillmentError.SHIPPED_AT_INVALID, "A shipment cannot leave in the future.", "shipped_at"
            )
        if order.placed_at is not None and shipped_at < order.placed_at:
            raise DomainError(
                FulfillmentError.SHIPPED_AT_INVALID,
                f"A shipment cannot leave before its order was placed ({order.placed_at.isoformat(timespec='seconds')}).",
                "shipped_at",
            )
    key = _clean_key(idempotency_key)
    digest = request_hash(
        order=order,
        warehouse=warehouse,
        lines=wanted,
        carrier=carrier_code,
        tracking_number=tracking,
        parcels=parcels,
        weight_grams=weight_grams,
        shipped_at=shipped_at,
    )
    existing = _replay(key=key, digest=digest)
    if existing is not None:
        return existing
    try:
        with transaction.atomic():
            shipment = _ship(
                order=order,
                warehouse=warehouse,
                wanted=wanted,
                carrier=carrier_code,
                tracking=tracking,
                parcels=parcels,
                weight_grams=weight_grams,
                shipped_at=shipped_at or now,
                actor=actor,
                key=key,
                digest=digest,
            )
    except IntegrityError:
        # The same key on another order, shipped at the same moment: its unique constraint decided.
        existing = _replay(key=key, digest=digest)
        if existing is None:
            raise
        return existing
    if shipment.capture_status == CaptureStatus.PENDING:
        shipment_capture(shipment=shipment)
    return shipment


def _ship(
    *,
    order: Order,
    warehouse: Warehouse,
    wanted: dict[int, int],
    carrier: str,
    tracking: str,
    parcels: int,
    weight_grams: int | None,
    shipped_at: dt.datetime,
    actor,
    key: str,
    digest: str,
) -> Shipment:
    locked = Order.objects.select_for_update(of=("self",)).select_related("organization").get(pk=order.pk)
    # A twin of this request waited for the lock above: it finds the shipment the first one made.
    existing = _replay(key=key, digest=digest)
    if existing is not None:
        return existing
    if not order_shippable(locked):
        raise Conflict(
            FulfillmentError.ORDER_NOT_SHIPPABLE,
            f"Order {locked.number_display} is {locked.get_status_display().lower()}: nothing of it can ship.",
            "order",
        )
    order_lines = {line.pk: line for line in OrderLine.objects.filter(order=locked)}
    allocations = list(
        OrderAllocation.objects.filter(line__order=locked, stock_level__warehouse=warehouse).order_by("id")
    )
    allocated: dict[int, int] = defaultdict(int)
    for allocation in allocations:
        allocated[allocation.line_id] += allocation.quantity
    for line_id, units in wanted.items():
        line = order_lines.get(line_id)
        if line is None:
            raise DomainError(
                FulfillmentError.LINE_NOT_ON_ORDER,
                f"Line {line_id} is not a line of order {locked.number_display}.",
                f"lines.{line_id}",
            )
        if units > allocated[line_id]:
            open_units = line.quantity_open
            raise Conflict(
                FulfillmentError.OVERSHIP,
                f"{line.sku}: {units} to ship, but {allocated[line_id]} allocated at {warehouse.code} "
                f"({open_units} of {line.quantity} still to ship in all).",
                f"lines.{line_id}",
            )
    # Consume the allocations, oldest first, and the stock rows they hold, each exactly once.
    consumed: dict[int, int] = defaultdict(int)
    remaining = dict(wanted)
    for allocation in allocations:
        take = min(allocation.quantity, remaining.get(allocation.line_id, 0))
        if not take:
            continue
        remaining[allocation.line_id] -= take
        consumed[allocation.stock_level_id] += take
        if take == allocation.quantity:
            allocation.delete()
        else:
            OrderAllocation.objects.filter(pk=allocation.pk).update(quantity=F("quantity") - take)
    for level in stock_levels_by_id_for_update(consumed):
        units = consumed[level.pk]
        StockLevel.objects.filter(pk=level.pk).update(on_hand=F("on_hand") - units, allocated=F("allocated") - units)
    # Units that leave were allocated already: what the store shows as available does not change (no STOCK bump).
    for line_id, units in wanted.items():
        OrderLine.objects.filter(pk=line_id).update(quantity_shipped=F("quantity_shipped") + units)
        order_lines[line_id].quantity_shipped += units
    shipped = [(order_lines[line_id], units) for line_id, units in wanted.items()]
    lines_after = list(order_lines.values())
    finished = not any(line.quantity_open for line in lines_after)

    serial = Shipment.objects.filter(order=locked).count() + 1
    shipment = Shipment(
        number=f"SH-{locked.number_display}-{serial}",
        order=locked,
        warehouse=warehouse,
        carrier=carrier,
        tracking_number=tracking,
        tracking_url=carrier_get(carrier).tracking_link(tracking),
        parcels=parcels,
        weight_grams=weight_grams,
        shipped_at=shipped_at,
        created_by=actor if getattr(actor, "pk", None) else None,
        idempotency_key=key,
        request_hash=digest,
        currency=locked.currency,
    )
    if capture_at_shipment(locked):
        payment = order_authorized_payment(locked)
        if payment is not None:
            captured_before = sum(
                Shipment.objects.filter(order=locked)
                .exclude(capture_status=CaptureStatus.NONE)
                .values_list("capture_amount", flat=True),
                start=0,
            )
            nothing_cancelled = not any(line.quantity_cancelled for line in lines_after)
            amount = shipment_capture_amount(
                order=locked,
                shipped=shipped,
                captured_before=Money(captured_before, locked.currency),
                last=finished and nothing_cancelled,
            )
            shipment.payment = payment
            shipment.capture_amount = amount.amount
            shipment.capture_status = CaptureStatus.PENDING if amount.amount > 0 else CaptureStatus.NONE
    shipment.save(force_insert=True)
    ShipmentLine.objects.bulk_create(
        [ShipmentLine(shipment=shipment, order_line_id=line.pk, quantity=units) for line, units in shipped]
    )
    who = actor if getattr(actor, "pk", None) else None
    events = [
        OrderEvent(
            order=locked,
            kind=OrderEvent.Kind.SHIPPED,
            actor=who,
            at=clock.now(),
            data={
                "shipment": shipment.number,
                "warehouse": warehouse.code,
                "carrier": carrier,
                "tracking_number": tracking,
                "lines": {line.sku: units for line, units in shipped},
            },
        )
    ]
    email_event = shipment_email_event(shipment=shipment, order=locked, lines=lines_after, shipped=shipped)
    if email_event is not None:
        events.append(email_event)
    to = OrderStatus.SHIPPED if finished else OrderStatus.PARTIALLY_SHIPPED
    if locked.status != to:
        order_transition(order=locked, to=to, actor=actor, data={"shipment": shipment.number}, events=events)
    else:
        OrderEvent.objects.bulk_create(events)
    order.status = locked.status
    return shipment


def shipment_mark_delivered(*, shipment: Shipment, actor, delivered_at: dt.datetime | None = None) -> Shipment:
    """Records the shipment delivered (once: a shipment delivered already is returned as it is) and moves the
    order to delivered when everything of it has shipped and every shipment is delivered."""
    now = clock.now()
    delivered_at = delivered_at or now
    if delivered_at.tzinfo is None:
        raise DomainError(FulfillmentError.DELIVERED_AT_INVALID, "Give the time with its time zone.", "delivered_at")
    if delivered_at > now + dt.timedelta(minutes=5):
        raise DomainError(FulfillmentError.DELIVERED_AT_INVALID, "A delivery cannot be in the future.", "delivered_at")
    if delivered_at < shipment.shipped_at:
        raise DomainError(
            FulfillmentError.DELIVERED_AT_INVALID, "A shipment cannot arrive before it left.", "delivered_at"
        )
    with transaction.atomic():
        locked = Order.objects.select_for_update().get(pk=shipment.order_id)
        shipment.refresh_from_db()
        if shipment.status == ShipmentStatus.DELIVERED:
            return shipment
        shipment_transition(shipment=shipment, to=ShipmentStatus.DELIVERED, delivered_at=delivered_at)
        event = OrderEvent(
            order=locked,
            kind=OrderEvent.Kind.DELIVERED,
            actor=actor if getattr(actor, "pk", None) else None,
            at=now,
            data={"shipment": shipment.number, "delivered_at": delivered_at.isoformat()},
        )
        order_delivered_if_complete(order=locked, actor=actor, events=[event])
    return shipment


def order_delivered_if_complete(*, order: Order, actor, events: list[OrderEvent]) -> None:
    """Writes `events`, moving a shipped order to delivered when every one of its shipments is delivered.
    Call with the order row locked."""
    complete = (
        order.status == OrderStatus.SHIPPED
        and not Shipment.objects.filter(order=order, status=ShipmentStatus.SHIPPED).exists()
        and Shipment.objects.filter(order=order).exists()
    )
    if complete:
        order_transition(order=order, to=OrderStatus.DELIVERED, actor=actor, events=events)
    else:
        OrderEvent.objects.bulk_create(events)
