"""The shipment state machine: shipped -> delivered. Nothing else assigns `Shipment.status`."""

from django.db import transaction

from autosales.core import clock
from autosales.core.errors import Conflict
from autosales.fulfillment.errors import FulfillmentError
from autosales.fulfillment.models import Shipment, ShipmentStatus

S = ShipmentStatus

ALLOWED: dict[str, frozenset[str]] = {
    S.SHIPPED: frozenset({S.DELIVERED}),
    S.DELIVERED: frozenset(),
}


def shipment_transition(*, shipment: Shipment, to: str, **fields) -> Shipment:
    """Moves the shipment to `to` with `fields` in one guarded UPDATE from the status it was read with; raises
    Conflict when the table does not allow the move from the status stored now."""
    previous = shipment.status
    if to not in ALLOWED[previous]:
        raise Conflict(
            FulfillmentError.ALREADY_DELIVERED,
            f"Shipment {shipment.number} is {ShipmentStatus(previous).label.lower()}: it cannot become "
            f"{ShipmentStatus(to).label.lower()}.",
            "status",
        )
    with transaction.atomic(savepoint=False):
        values = {"status": to, "updated_at": clock.now(), **fields}
        if not Shipment.objects.filter(pk=shipment.pk, status=previous).update(**values):
            shipment.refresh_from_db()
            return shipment_transition(shipment=shipment, to=to, **fields)
    for name, value in values.items():
        setattr(shipment, name, value)
    return shipment
