"""Changes to carts: add, set, remove, merge, clear.

Each line keeps the unit price the shopper saw when it was added or last changed (`price_seen`), so the
cart can say which prices moved since.
"""

from collections.abc import Iterable

from django.db import IntegrityError, transaction
from django.utils.translation import gettext

from autosales.cart.errors import CartError
from autosales.cart.models import Cart, CartLine
from autosales.catalog.models import MAX_ORDER_UNITS, Variant
from autosales.core.errors import DomainError, NotFound
from autosales.pricing.selectors import unit_prices

# A guard against typos such as 10000000 in a quantity box; bigger orders go through a salesperson.
MAX_LINE_QUANTITY = MAX_ORDER_UNITS


def _check_quantity(quantity: int, *, allow_zero: bool = False) -> None:
    if isinstance(quantity, bool) or not isinstance(quantity, int):
        raise DomainError(CartError.QUANTITY_INVALID, "Quantity must be a whole number.", "quantity")
    low = 0 if allow_zero else 1
    if quantity < low:
        message = "Quantity cannot be negative." if allow_zero else "Quantity must be at least 1."
        raise DomainError(CartError.QUANTITY_INVALID, message, "quantity")
    if quantity > MAX_LINE_QUANTITY:
        raise DomainError(
            CartError.QUANTITY_TOO_LARGE,
            f"Quantity cannot be more than {MAX_LINE_QUANTITY:,} per line; contact us for larger orders.",
            "quantity",
        )


def order_quantity_problem(*, variant: Variant, quantity: int) -> str:
    """Why one line of `quantity` units of the variant cannot be ordered (below its minimum order, or not a whole
    number of its packs), with the quantities that can; "" when it can. The one rule of the cart, quick order,
    checkout and standing orders."""
    least = variant.least_quantity
    if quantity < variant.min_quantity:
        if least != variant.min_quantity:
            return gettext(
                "%(sku)s has a minimum order of %(minimum)s (%(least)s in packs of %(pack)s), not %(quantity)s."
            ) % {
                "sku": variant.sku,
                "minimum": f"{variant.min_quantity:,}",
                "least": f"{least:,}",
                "pack": f"{variant.pack_size:,}",
                "quantity": f"{quantity:,}",
            }
        return gettext("%(sku)s has a minimum order of %(minimum)s, not %(quantity)s.") % {
            "sku": variant.sku,
            "minimum": f"{variant.min_quantity:,}",
            "quantity": f"{quantity:,}",
        }
    pack = variant.pack_size
    if quantity % pack:
        below = quantity // pack * pack
        choices = [f"{units:,}" for units in (below, below + pack) if units >= least]
        return gettext("%(sku)s is sold in packs of %(pack)s: %(choices)s, not %(quantity)s.") % {
            "sku": variant.sku,
            "pack": f"{pack:,}",
            "choices": gettext(" or ").join(choices),
            "quantity": f"{quantity:,}",
        }
    return ""


def order_quantity_at_most(*, variant: Variant, quantity: int) -> int:
    """The most units up to `quantity` that one line of the variant may hold (whole packs, at least the minimum);
    0 when even the least it can be ordered is more."""
    if quantity < variant.least_quantity:
        return 0
    return quantity // variant.pack_size * variant.pack_size


def order_quantity_check(*, variant: Variant, quantity: int, field: str = "quantity") -> None:
    """Raises DomainError (`field`) when the variant cannot be ordered `quantity` at a time (order_quantity_problem)."""
    problem = order_quantity_problem(variant=variant, quantity=quantity)
    if problem:
        raise DomainError(CartError.QUANTITY_NOT_ORDERABLE, problem, field)


def _check_for_sale(variant: Variant) -> None:
    if not (variant.is_active and variant.product.is_active):
        raise DomainError(CartError.VARIANT_NOT_FOR_SALE, f"{variant.sku} is no longer sold.", "sku")


def _prices_seen(*, cart: Cart, variant_ids: Iterable[int]) -> dict[int, dict]:
    """The price columns of each variant's line, at the price the cart's organization pays now."""
    prices = unit_prices(variant_ids=variant_ids, organization=cart.organization)
    return {
        variant_id: {
            "price_seen": price.amount if price is not None else None,
            "price_seen_currency": price.currency if price is not None else "",
        }
        for variant_id in variant_ids
        for price in [prices.get(variant_id)]
    }


def cart_get_or_create(*, user, organization=None) -> Cart:
    """The one cart of this user for this organization (None: a user without an organization), created once."""
    try:
        with transaction.atomic():
            cart, _ = Cart.objects.get_or_create(user=user, organization=organization)
    except IntegrityError:
        # Another request created it at the same moment.
        cart = Cart.objects.get(user=user, organization=organization)
    return cart


def cart_add(*, cart: Cart, variant: Variant, quantity: int) -> CartLine:
    """Adds `quantity` units of a variant that is for sale; a variant appears on one line per cart."""
    _check_quantity(quantity)
    _check_for_sale(variant)
    seen = _prices_seen(cart=cart, variant_ids=[variant.pk])[variant.pk]
    for _attempt in range(2):
        try:
            with transaction.atomic():
                line = CartLine.objects.select_for_update().filter(cart=cart, variant=variant).first()
                if line is None:
                    order_quantity_check(variant=variant, quantity=quantity)
                    return CartLine.objects.create(cart=cart, variant=variant, quantity=quantity, **seen)
                _check_quantity(line.quantity + quantity)
                # The line as it will be is what is ordered: adding a pack to a line of packs is fine.
                order_quantity_check(variant=variant, quantity=line.quantity + quantity)
                line.quantity += quantity
                for name, value in seen.items():
                    setattr(line, name, value)
                line.save(update_fields=["quantity", *seen])
                return line
        except IntegrityError:
            # A concurrent add created the line first; the second attempt adds to it.
            continue
    raise DomainError(CartError.QUANTITY_INVALID, "The cart changed while adding; try again.", "quantity")


def cart_set_quantity(*, cart: Cart, variant: Variant, quantity: int) -> CartLine | None:
    """Sets the line's quantity (0 removes the line); returns the line, or None when it was removed."""
    _check_quantity(quantity, allow_zero=True)
    if quantity == 0:
        cart_remove(cart=cart, variant=variant)
        return None
    order_quantity_check(variant=variant, quantity=quantity)
    line = CartLine.objects.filter(cart=cart, variant=variant).first()
    if line is None:
        _check_for_sale(variant)
        return cart_add(cart=cart, variant=variant, quantity=quantity)
    seen = _prices_seen(cart=cart, variant_ids=[variant.pk])[variant.pk]
    line.quantity = quantity
    for name, value in seen.items():
        setattr(line, name, value)
    line.save(update_fields=["quantity", *seen])
    return line


def cart_remove(*, cart: Cart, variant: Variant) -> None:
    """Removes the variant's line from the cart; raises when the cart has no such line."""
    deleted, _ = CartLine.objects.filter(cart=cart, variant=variant).delete()
    if not deleted:
        raise NotFound(CartError.LINE_NOT_FOUND, f"{variant.sku} is not in the cart.", "sku")


@transaction.atomic
def cart_merge(*, source: Cart, target: Cart) -> Cart:
    """Moves every line of `source` into `target` (quantities add up, capped per line) and deletes `source`."""
    if source.pk == target.pk:
        return target
    existing = {line.variant_id: line for line in CartLine.objects.select_for_update().filter(cart=target)}
    moving = list(CartLine.objects.filter(cart=source))
    # What the signed-in shopper pays is what they see from now on.
    seen = _prices_seen(cart=target, variant_ids=[line.variant_id for line in moving])
    for line in moving:
        mine = existing.get(line.variant_id)
        if mine is None:
            CartLine.objects.create(
                cart=target, variant_id=line.variant_id, quantity=line.quantity, **seen[line.variant_id]
            )
        else:
            mine.quantity = min(mine.quantity + line.quantity, MAX_LINE_QUANTITY)
            for name, value in seen[line.variant_id].items():
                setattr(mine, name, value)
            mine.save(update_fields=["quantity", *seen[line.variant_id]])
    source.delete()
    return target


def cart_clear(*, cart: Cart, variant_ids: Iterable[int] | None = None) -> None:
    """Empties the cart, or only the lines of `variant_ids` (what an order just took)."""
    lines = CartLine.objects.filter(cart=cart)
    if variant_ids is not None:
        lines = lines.filter(variant_id__in=list(variant_ids))
    lines.delete()
