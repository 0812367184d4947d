"""Order again: a past order's lines back into the cart, with what changed since it was placed.

As a good wholesaler's portal does it: every line that can still be bought goes into the cart at today's price;
a line whose price moved says "then / now"; a line with less stock than was ordered adds what is there (all of
it when the product may be backordered); a line no longer sold is left out and says so; a line that is not
whole packs of its variant any more is rounded down to them (cart.services.order_quantity_at_most). Nothing is refused as a
whole: the buyer sees each line's outcome before and after adding.

The preview and the adding each read in a fixed number of queries whatever the number of lines: the order,
its lines with their variants, the prices, the stock, the cart's lines.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from enum import StrEnum

from autosales.cart.models import Cart, CartLine
from autosales.cart.quick_order import cart_add_many
from autosales.cart.services import MAX_LINE_QUANTITY, order_quantity_at_most, order_quantity_problem
from autosales.catalog.models import Variant
from autosales.core.errors import NotFound
from autosales.core.money import Money
from autosales.customers.models import Organization
from autosales.inventory.selectors import available_by_variant
from autosales.orders.errors import OrderError
from autosales.orders.models import Order, OrderLine
from autosales.orders.transitions import VISIBLE
from autosales.pricing.selectors import unit_prices


class ReorderOutcome(StrEnum):
    SAME = "same"  # as it was: added at the same price
    PRICE_CHANGED = "price_changed"  # added at today's price
    LESS_AVAILABLE = "less_available"  # fewer units added than were ordered
    BACKORDERED = "backordered"  # all added; the units not in stock ship when they arrive
    NOT_AVAILABLE = "not_available"  # not added: no longer sold, no price, or out of stock


@dataclass(frozen=True, slots=True)
class ReorderLine:
    sku: str
    name: str
    quantity_then: int
    price_then: Money
    variant: Variant | None
    price_now: Money | None
    available: int
    quantity: int  # what goes (or went) into the cart
    outcome: ReorderOutcome
    message: str

    @property
    def price_changed(self) -> bool:
        return self.price_now is not None and self.price_now != self.price_then

    @property
    def added(self) -> bool:
        return self.quantity > 0


@dataclass(frozen=True, slots=True)
class Reorder:
    order: Order
    lines: tuple[ReorderLine, ...]

    @property
    def addable(self) -> list[ReorderLine]:
        return [line for line in self.lines if line.added]

    @property
    def changes(self) -> list[ReorderLine]:
        return [line for line in self.lines if line.outcome != ReorderOutcome.SAME]


def _order(*, public_id: str, organization: Organization) -> tuple[Order, list[OrderLine]]:
    order = Order.objects.filter(public_id=public_id, organization=organization, status__in=VISIBLE).first()
    if order is None:
        raise NotFound(OrderError.NOT_FOUND, "No such order.", "order")
    lines = list(OrderLine.objects.filter(order=order).select_related("variant__product").order_by("id"))
    return order, lines


def _line(line: OrderLine, *, currency: str, price: Money | None, available: int, in_cart: int) -> ReorderLine:
    variant = line.variant
    then = Money(line.unit_price, currency)
    base = {
        "sku": line.sku,
        "name": line.name,
        "quantity_then": line.quantity,
        "price_then": then,
        "variant": variant,
        "price_now": price,
        "available": available,
    }
    if variant is None or not (variant.is_active and variant.product.is_active):
        return ReorderLine(**base, quantity=0, outcome=ReorderOutcome.NOT_AVAILABLE, message="No longer sold.")
    if price is None:
        message = "Not for sale at the moment."
        return ReorderLine(**base, quantity=0, outcome=ReorderOutcome.NOT_AVAILABLE, message=message)
    wanted = min(line.quantity, MAX_LINE_QUANTITY - in_cart)
    free = max(available - in_cart, 0)
    changed = f"Price now {price}, was {then}." if price != then else ""
    if wanted > free and variant.product.allows_backorder:
        message = f"{wanted - free:,} backordered: shipped when stock arrives. {changed}".strip()
        return ReorderLine(**base, quantity=wanted, outcome=ReorderOutcome.BACKORDERED, message=message)
    if free <= 0:
        return ReorderLine(**base, quantity=0, outcome=ReorderOutcome.NOT_AVAILABLE, message="Out of stock.")
    if wanted > free:
        message = f"Only {free:,} of {line.quantity:,} available; {free:,} added. {changed}".strip()
        return ReorderLine(**base, quantity=free, outcome=ReorderOutcome.LESS_AVAILABLE, message=message)
    if changed:
        return ReorderLine(**base, quantity=wanted, outcome=ReorderOutcome.PRICE_CHANGED, message=changed)
    return ReorderLine(**base, quantity=wanted, outcome=ReorderOutcome.SAME, message="")


def _in_whole_packs(row: ReorderLine, *, in_cart: int) -> ReorderLine:
    """The row with as many units as keep the cart's line whole packs, at least the minimum (a pack size set since
    the order, or stock for part of a pack): rounded down, never more than was ordered or is there."""
    if not row.added:
        return row
    wanted = in_cart + row.quantity
    fitting = order_quantity_at_most(variant=row.variant, quantity=wanted)
    if fitting == wanted:
        return row
    problem = order_quantity_problem(variant=row.variant, quantity=wanted)
    if fitting <= in_cart:
        return replace(row, quantity=0, outcome=ReorderOutcome.NOT_AVAILABLE, message=problem)
    added = fitting - in_cart
    return replace(row, quantity=added, outcome=ReorderOutcome.LESS_AVAILABLE, message=f"{problem} {added:,} added.")


def reorder_preview(*, public_id: str, organization: Organization, cart: Cart | None) -> Reorder:
    """What ordering this order again would put into the cart, line by line, with what changed since; NotFound
    when the order is not the organization's. Five queries."""
    order, lines = _order(public_id=public_id, organization=organization)
    ids = [line.variant_id for line in lines if line.variant_id is not None]
    prices = unit_prices(variant_ids=ids, organization=organization)
    stock = available_by_variant(variant_ids=ids)
    in_cart: dict[int, int] = {}
    if cart is not None and cart.pk is not None and ids:
        in_cart = dict(CartLine.objects.filter(cart=cart, variant_id__in=ids).values_list("variant_id", "quantity"))
    # One SKU on several lines of the old order counts once against the stock and the cart.
    seen: dict[int, int] = {}
    rows = []
    for line in lines:
        vid = line.variant_id
        before = in_cart.get(vid, 0) + seen.get(vid, 0) if vid else 0
        row = _line(line, currency=order.currency, price=prices.get(vid), available=stock.get(vid, 0), in_cart=before)
        row = _in_whole_packs(row, in_cart=before)
        if vid and row.added:
            seen[vid] = seen.get(vid, 0) + row.quantity
        rows.append(row)
    return Reorder(order=order, lines=tuple(rows))


def order_again(*, public_id: str, organization: Organization, cart: Cart) -> Reorder:
    """Puts every line of the order that can be bought now into the cart (see the module's rules) in one
    transaction, and returns what was added and what changed."""
    preview = reorder_preview(public_id=public_id, organization=organization, cart=cart)
    quantities: dict[int, int] = {}
    for line in preview.addable:
        quantities[line.variant.id] = quantities.get(line.variant.id, 0) + line.quantity
    prices = {line.variant.id: line.price_now for line in preview.addable}
    cart_add_many(cart=cart, quantities=quantities, organization=organization, prices=prices)
    return preview
