"""An order's history in words, as the customer's order page shows it: "Confirmation emailed to Dana Whitfield",
"$42.50 taken from the card", never a status code or a list as stored in the event's data."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal, InvalidOperation

from autosales.core.money import Money
from autosales.orders.models import Order, OrderEvent, OrderSource, OrderStatus, PaymentKind

EMAILS = {
    "orders/confirmation": "Confirmation",
    "orders/cancelled": "Cancellation notice",
    "fulfillment/shipped": "Shipping confirmation",
    "fulfillment/remainder_cancelled": "Notice of the cancelled remainder",
}
PAYMENTS = {
    "authorized": "Card payment of {amount} authorized",
    "captured": "{amount} taken from the card",
    "voided": "Card authorization of {amount} released: nothing was charged",
    "refunded": "{amount} refunded to the card",
    "remainder_released": "The rest of the card authorization was released; {captured} was charged",
    "capture_failed": "Taking the card payment failed; it is tried again",
    "refund_failed": "Refunding {amount} to the card failed; our staff will see to it",
    "return_failed": "Returning the card payment failed; our staff will see to it",
}


def _money(value, currency: str) -> str:
    try:
        return str(Money(Decimal(str(value)), currency))
    except (InvalidOperation, ValueError, TypeError):
        return ""


def _names(addresses, people: Mapping[str, str]) -> str:
    if isinstance(addresses, str):
        addresses = [addresses]
    names = [people.get(address.lower(), address) for address in addresses or []]
    if len(names) <= 1:
        return "".join(names)
    return f"{', '.join(names[:-1])} and {names[-1]}"


def _units(lines) -> str:
    if not isinstance(lines, Mapping):
        return ", ".join(str(sku) for sku in lines or [])
    return ", ".join(f"{quantity} × {sku}" for sku, quantity in lines.items())


def _label(choices, value: str) -> str:
    try:
        return choices(value).label
    except ValueError:
        return str(value).replace("_", " ")


def event_in_words(event: OrderEvent, *, currency: str, people: Mapping[str, str]) -> str:
    """One line of the order's history; `people` maps a lower-case email address to its person's name."""
    data = event.data if isinstance(event.data, Mapping) else {}
    kind = event.kind
    if kind == OrderEvent.Kind.CREATED:
        how = {OrderSource.STANDING_ORDER: " by a standing order", OrderSource.API: " through the API"}.get(
            data.get("source"), ""
        )
        paid = " on account" if data.get("payment_kind") == PaymentKind.ACCOUNT else " by card"
        total = _money(data.get("total"), currency)
        return f"Order placed{how}{paid}" + (f", total {total}" if total else "")
    if kind == OrderEvent.Kind.STATUS_CHANGED:
        return f"Status: {_label(OrderStatus, data.get('to', '')).lower()}"
    if kind == OrderEvent.Kind.EMAIL_QUEUED:
        what = EMAILS.get(data.get("template"), "Email")
        to = _names(data.get("to"), people)
        return f"{what} emailed to {to}" if to else f"{what} emailed"
    if kind == OrderEvent.Kind.PAYMENT:
        words = PAYMENTS.get(data.get("action"), "Payment updated")
        return words.format(
            amount=_money(data.get("amount"), currency) or "the amount",
            captured=_money(data.get("captured"), currency) or "the shipped part",
        ) + (f" (shipment {data['shipment']})" if data.get("shipment") else "")
    if kind == OrderEvent.Kind.STOCK_RELEASED:
        units = data.get("units")
        return f"{units} unit{'s' if units != 1 else ''} returned to stock" if units else "Stock returned"
    if kind == OrderEvent.Kind.BACKORDERED:
        return f"Backordered, shipped when stock arrives: {_units(data.get('lines'))}"
    if kind == OrderEvent.Kind.ALLOCATED:
        return f"Backordered items now in stock: {_units(data.get('lines'))}"
    if kind == OrderEvent.Kind.SHIPPED:
        words = f"Shipment {data.get('shipment', '')} sent".replace("  ", " ")
        if data.get("carrier"):
            words += f" by {data['carrier']}"
        if data.get("tracking_number"):
            words += f", tracking number {data['tracking_number']}"
        return words + (f": {_units(data.get('lines'))}" if data.get("lines") else "")
    if kind == OrderEvent.Kind.DELIVERED:
        return f"Shipment {data.get('shipment', '')} delivered".replace("  ", " ")
    if kind == OrderEvent.Kind.REMAINDER_CANCELLED:
        words = f"Unshipped items cancelled: {_units(data.get('lines'))}"
        return words + (f". Reason: {data['reason']}" if data.get("reason") else "")
    if kind == OrderEvent.Kind.NOTE:
        return str(data.get("text") or data.get("note") or "Note")
    return event.get_kind_display()


def order_history(order: Order, *, people: Mapping[str, str]) -> list[tuple[OrderEvent, str]]:
    """The order's events, oldest first, each with its words."""
    return [(event, event_in_words(event, currency=order.currency, people=people)) for event in order.events.all()]
