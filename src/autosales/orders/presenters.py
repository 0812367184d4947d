"""An order's history in words, as the customer's order page shows it: "Confirmation emailed to Dana Whitfield",
"$42.50 taken from the card", never a status code or a list as stored in the event's data."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal, InvalidOperation

from django.utils.translation import gettext, gettext_lazy, ngettext

from autosales.core.money import Money
from autosales.orders.models import Order, OrderEvent, OrderSource, OrderStatus, PaymentKind

EMAILS = {
    "orders/confirmation": gettext_lazy("Confirmation emailed to %(to)s"),
    "orders/cancelled": gettext_lazy("Cancellation notice emailed to %(to)s"),
    "fulfillment/shipped": gettext_lazy("Shipping confirmation emailed to %(to)s"),
    "fulfillment/remainder_cancelled": gettext_lazy("Notice of the cancelled remainder emailed to %(to)s"),
}
EMAILS_TO_NOBODY = {
    "orders/confirmation": gettext_lazy("Confirmation emailed"),
    "orders/cancelled": gettext_lazy("Cancellation notice emailed"),
    "fulfillment/shipped": gettext_lazy("Shipping confirmation emailed"),
    "fulfillment/remainder_cancelled": gettext_lazy("Notice of the cancelled remainder emailed"),
}
PAYMENTS = {
    "authorized": gettext_lazy("Card payment of %(amount)s authorized"),
    "captured": gettext_lazy("%(amount)s taken from the card"),
    "voided": gettext_lazy("Card authorization of %(amount)s released: nothing was charged"),
    "refunded": gettext_lazy("%(amount)s refunded to the card"),
    "remainder_released": gettext_lazy("The rest of the card authorization was released; %(captured)s was charged"),
    "capture_failed": gettext_lazy("Taking the card payment failed; it is tried again"),
    "refund_failed": gettext_lazy("Refunding %(amount)s to the card failed; our staff will see to it"),
    "return_failed": gettext_lazy("Returning the card payment failed; our staff will see to it"),
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
    return gettext("%(names)s and %(last)s") % {"names": ", ".join(names[:-1]), "last": names[-1]}


def _units(lines) -> str:
    if not isinstance(lines, Mapping):
        return ", ".join(str(sku) for sku in lines or [])
    return ", ".join(f"{quantity} × {sku}" for sku, quantity in lines.items())


def _label(choices, value: str) -> str:
    try:
        return str(choices(value).label)
    except ValueError:
        return str(value).replace("_", " ")


def _created(data: Mapping, currency: str) -> str:
    source, on_account = data.get("source"), data.get("payment_kind") == PaymentKind.ACCOUNT
    if source == OrderSource.STANDING_ORDER:
        words = (
            gettext("Order placed by a standing order on account")
            if on_account
            else gettext("Order placed by a standing order by card")
        )
    elif source == OrderSource.API:
        words = (
            gettext("Order placed through the API on account")
            if on_account
            else gettext("Order placed through the API by card")
        )
    else:
        words = gettext("Order placed on account") if on_account else gettext("Order placed by card")
    total = _money(data.get("total"), currency)
    return gettext("%(placed)s, total %(total)s") % {"placed": words, "total": total} if total else words


def _shipped(data: Mapping) -> str:
    values = {
        "shipment": data.get("shipment", ""),
        "carrier": data.get("carrier", ""),
        "tracking": data.get("tracking_number", ""),
    }
    if data.get("carrier") and data.get("tracking_number"):
        words = gettext("Shipment %(shipment)s sent by %(carrier)s, tracking number %(tracking)s") % values
    elif data.get("carrier"):
        words = gettext("Shipment %(shipment)s sent by %(carrier)s") % values
    elif data.get("tracking_number"):
        words = gettext("Shipment %(shipment)s sent, tracking number %(tracking)s") % values
    else:
        words = gettext("Shipment %(shipment)s sent") % values
    words = words.replace("  ", " ")
    return words + (f": {_units(data.get('lines'))}" if data.get("lines") else "")


def event_in_words(event: OrderEvent, *, currency: str, people: Mapping[str, str]) -> str:
    """One line of the order's history, in the active language; `people` maps a lower-case email address to its
    person's name."""
    data = event.data if isinstance(event.data, Mapping) else {}
    kind = event.kind
    if kind == OrderEvent.Kind.CREATED:
        return _created(data, currency)
    if kind == OrderEvent.Kind.STATUS_CHANGED:
        return gettext("Status: %(status)s") % {"status": _label(OrderStatus, data.get("to", "")).lower()}
    if kind == OrderEvent.Kind.EMAIL_QUEUED:
        to = _names(data.get("to"), people)
        template = data.get("template")
        if template not in EMAILS:
            return gettext("Email emailed to %(to)s") % {"to": to} if to else gettext("Email emailed")
        return EMAILS[template] % {"to": to} if to else str(EMAILS_TO_NOBODY[template])
    if kind == OrderEvent.Kind.PAYMENT:
        words = str(PAYMENTS.get(data.get("action"), gettext_lazy("Payment updated"))) % {
            "amount": _money(data.get("amount"), currency) or gettext("the amount"),
            "captured": _money(data.get("captured"), currency) or gettext("the shipped part"),
        }
        if data.get("shipment"):
            return gettext("%(words)s (shipment %(shipment)s)") % {"words": words, "shipment": data["shipment"]}
        return words
    if kind == OrderEvent.Kind.STOCK_RELEASED:
        units = data.get("units")
        if not units:
            return gettext("Stock returned")
        return ngettext("%(count)s unit returned to stock", "%(count)s units returned to stock", units) % {
            "count": units
        }
    if kind == OrderEvent.Kind.BACKORDERED:
        return gettext("Backordered, shipped when stock arrives: %(items)s") % {"items": _units(data.get("lines"))}
    if kind == OrderEvent.Kind.ALLOCATED:
        return gettext("Backordered items now in stock: %(items)s") % {"items": _units(data.get("lines"))}
    if kind == OrderEvent.Kind.SHIPPED:
        return _shipped(data)
    if kind == OrderEvent.Kind.DELIVERED:
        return (gettext("Shipment %(shipment)s delivered") % {"shipment": data.get("shipment", "")}).replace("  ", " ")
    if kind == OrderEvent.Kind.REMAINDER_CANCELLED:
        words = gettext("Unshipped items cancelled: %(items)s") % {"items": _units(data.get("lines"))}
        if data.get("reason"):
            return gettext("%(words)s. Reason: %(reason)s") % {"words": words, "reason": data["reason"]}
        return words
    if kind == OrderEvent.Kind.NOTE:
        return str(data.get("text") or data.get("note") or gettext("Note"))
    return event.get_kind_display()


def order_history(order: Order, *, people: Mapping[str, str]) -> list[tuple[OrderEvent, str]]:
    """The order's events, oldest first, each with its words."""
    return [(event, event_in_words(event, currency=order.currency, people=people)) for event in order.events.all()]
