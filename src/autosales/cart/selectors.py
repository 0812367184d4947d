"""Reads of carts: the priced summary with availability warnings and price changes, and the item count for the header."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import Sum

from autosales.cart.models import Cart, CartLine
from autosales.cart.services import order_quantity_problem
from autosales.catalog.models import Variant
from autosales.core.cache_versions import CATALOG, PRICES, cached_for_versions
from autosales.core.money import Money, default_currency
from autosales.core.request_memo import request_memoized
from autosales.customers.models import Organization
from autosales.inventory.selectors import available_by_warehouse, available_totals
from autosales.pricing.selectors import list_prices, unit_prices


@dataclass(frozen=True, slots=True)
class CartLineSummary:
    variant: Variant
    quantity: int
    unit_price: Money | None
    line_total: Money | None
    available: int
    warning: str
    # The unit price when the line was added or last changed (None for lines from before it was kept).
    price_seen: Money | None = None
    # Units beyond the stock of a product that may be backordered: they ship when stock arrives.
    backordered: int = 0
    # For a customer with contract prices: the list price beside its own ("list $13.99 · your price $11.89").
    list_price: Money | None = None

    @property
    def ships_now(self) -> int:
        return self.quantity - self.backordered

    @property
    def price_changed(self) -> bool:
        """The unit price moved since the shopper added or last changed the line."""
        return self.price_seen is not None and self.unit_price is not None and self.price_seen != self.unit_price

    @property
    def sku(self) -> str:
        return self.variant.sku

    @property
    def product(self):
        return self.variant.product

    @property
    def can_order(self) -> bool:
        return not self.warning


@dataclass(frozen=True, slots=True)
class CartSummary:
    cart: Cart | None
    lines: tuple[CartLineSummary, ...]
    subtotal: Money
    item_count: int
    # Units available per variant and warehouse, as read with the lines: where they would ship from.
    available_by_warehouse: dict = field(default_factory=dict)

    @property
    def quantities(self) -> dict[int, int]:
        return {line.variant.id: line.quantity for line in self.lines}

    @property
    def is_empty(self) -> bool:
        return not self.lines

    @property
    def price_changes(self) -> list[CartLineSummary]:
        return [line for line in self.lines if line.price_changed]

    @property
    def backorders(self) -> list[CartLineSummary]:
        return [line for line in self.lines if line.backordered]

    @property
    def warnings(self) -> list[str]:
        return [f"{line.sku}: {line.warning}" for line in self.lines if line.warning]

    @property
    def can_check_out(self) -> bool:
        return bool(self.lines) and not self.warnings


def _warning(*, variant: Variant, quantity: int, unit_price: Money | None, available: int) -> str:
    if not (variant.is_active and variant.product.is_active):
        return "No longer sold; remove it to check out."
    if unit_price is None:
        return "Not for sale at the moment; remove it to check out."
    # A line added before the variant got its minimum or pack size.
    problem = order_quantity_problem(variant=variant, quantity=quantity)
    if problem:
        return problem
    if quantity > available and variant.product.allows_backorder:
        return ""  # ordered all the same: what is in stock ships now, the rest when it arrives (backordered)
    if available <= 0:
        return "Out of stock; remove it or check back later."
    if quantity > available:
        return f"Only {available:,} available; lower the quantity to {available:,} or less to check out."
    return ""


def _backordered(*, variant: Variant, quantity: int, available: int) -> int:
    if not variant.product.allows_backorder or quantity <= available:
        return 0
    return quantity - max(available, 0)


def cart_summary(*, cart: Cart | None, organization: Organization | None) -> CartSummary:
    """The cart's lines with the organization's unit prices, availability and warnings; a fixed number of queries.

    Built once per request (core.request_memo): a page that asks again before changing anything gets the same
    summary without a query.
    """
    currency = organization.currency if organization is not None else default_currency()
    if cart is None or cart.pk is None:
        return CartSummary(cart=cart, lines=(), subtotal=Money.zero(currency), item_count=0)
    return request_memoized(
        ("cart_summary", cart.pk, getattr(organization, "pk", None)),
        lambda: _cart_summary_build(cart=cart, currency=currency, organization=organization),
    )


def cart_lines_version_remember(*, cart: Cart, version: tuple) -> None:
    """Lets the summary take the cart's lines and prices from the cache: `version` describes the lines as read with
    the cart (count, units, last change, last line), and is forgotten as soon as the request writes."""
    request_memoized(("cart_lines_version", cart.pk), lambda: version)


def _lines_priced(*, cart: Cart, organization: Organization | None) -> tuple[list[CartLine], dict, dict]:
    """The cart's lines with their variants, unit prices and list prices: shared through the cache while the lines
    (as read with the cart in this request, before any write), the prices and the catalog are unchanged, so the
    checkout's steps do not read them again one after the other. Stock is never cached here."""

    def build() -> tuple[list[CartLine], dict, dict]:
        lines = list(CartLine.objects.filter(cart=cart).select_related("variant__product").order_by("id"))
        ids = [line.variant_id for line in lines]
        if not ids:
            return lines, {}, {}
        # list_prices asks no query for a customer without contract prices
        return (
            lines,
            unit_prices(variant_ids=ids, organization=organization),
            list_prices(variant_ids=ids, organization=organization),
        )

    version = request_memoized(("cart_lines_version", cart.pk), lambda: None)
    if version is None:
        return build()
    return cached_for_versions(
        name="cart-lines",
        # the organization's price lists are edited with the price lists, which bumps PRICES
        parts=(cart.pk, version, getattr(organization, "pk", None)),
        kinds=(CATALOG, PRICES),
        build=build,
    )


def _cart_summary_build(*, cart: Cart, currency: str, organization: Organization | None) -> CartSummary:
    cart_lines, prices, listed = _lines_priced(cart=cart, organization=organization)
    if not cart_lines:
        return CartSummary(cart=cart, lines=(), subtotal=Money.zero(currency), item_count=0)
    variant_ids = [line.variant_id for line in cart_lines]
    by_warehouse = available_by_warehouse(variant_ids=variant_ids)
    available = available_totals(by_warehouse)
    lines = []
    subtotal = None
    for line in cart_lines:
        price = prices.get(line.variant_id)
        total = price * line.quantity if price is not None else None
        if total is not None:
            subtotal = total if subtotal is None else subtotal + total
        units = available.get(line.variant_id, 0)
        lines.append(
            CartLineSummary(
                variant=line.variant,
                quantity=line.quantity,
                unit_price=price,
                line_total=total,
                available=units,
                warning=_warning(variant=line.variant, quantity=line.quantity, unit_price=price, available=units),
                price_seen=line.price_seen_money,
                backordered=_backordered(variant=line.variant, quantity=line.quantity, available=units),
                list_price=listed.get(line.variant_id),
            )
        )
    return CartSummary(
        cart=cart,
        lines=tuple(lines),
        subtotal=(subtotal or Money.zero(currency)).rounded(),
        item_count=sum(line.quantity for line in cart_lines),
        available_by_warehouse=by_warehouse,
    )


def cart_item_count_remember(*, cart: Cart, count: int) -> None:
    """Lets `cart_item_count` answer from a count read with the cart itself (until the request writes)."""
    request_memoized(("cart_item_count", cart.pk), lambda: count)


def cart_item_count(*, cart: Cart | None) -> int:
    """Units in the cart, in one query (the header's badge; remembered for the request like the summary)."""
    if cart is None or cart.pk is None:
        return 0
    return request_memoized(
        ("cart_item_count", cart.pk),
        lambda: CartLine.objects.filter(cart=cart).aggregate(n=Sum("quantity"))["n"] or 0,
    )
