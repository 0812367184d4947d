"""Router `cart`: a guest's cart by the session cookie, a signed-in customer's by session or bearer token."""

from ninja import Field, Router, Schema, Status

from autosales.cart import services
from autosales.cart.errors import CartError
from autosales.cart.selectors import CartSummary, cart_summary
from autosales.cart.services import MAX_LINE_QUANTITY
from autosales.cart.session import cart_for_request, request_user
from autosales.catalog.api import MoneyOut
from autosales.catalog.models import Variant
from autosales.core.errors import NotFound
from autosales.core.http.auth import PUBLIC
from autosales.core.http.errors import error_responses
from autosales.core.http.fields import Quantity
from autosales.core.money import Money
from autosales.customers.selectors import organization_for_user

router = Router(tags=["cart"], auth=PUBLIC)


class CartLineOut(Schema):
    sku: str
    product: str
    product_slug: str
    variant: str
    quantity: int
    unit_price: MoneyOut | None = Field(description="null when the variant has no price for this customer")
    line_total: MoneyOut | None
    available: int
    warning: str = Field(description="empty when the line can be ordered as it is")
    price_seen: MoneyOut | None = Field(
        description="the unit price when the line was added or its quantity last set (null if not known)"
    )
    price_changed: bool = Field(description="true when unit_price differs from price_seen")


class CartOut(Schema):
    lines: list[CartLineOut]
    item_count: int
    subtotal: MoneyOut
    can_check_out: bool
    warnings: list[str]


class CartLineIn(Schema):
    sku: str = Field(min_length=1, max_length=64)
    quantity: Quantity = Field(default=1, ge=1, le=MAX_LINE_QUANTITY)


class CartLineQuantityIn(Schema):
    quantity: Quantity = Field(ge=0, le=MAX_LINE_QUANTITY, description="0 removes the line")


def _money(value: Money | None) -> dict | None:
    if value is None:
        return None
    value = value.rounded()
    return {"amount": value.amount, "currency": value.currency}


def cart_out(summary: CartSummary) -> dict:
    return {
        "lines": [
            {
                "sku": line.sku,
                "product": line.product.name,
                "product_slug": line.product.slug,
                "variant": line.variant.name,
                "quantity": line.quantity,
                "unit_price": _money(line.unit_price),
                "line_total": _money(line.line_total),
                "available": line.available,
                "warning": line.warning,
                "price_seen": _money(line.price_seen),
                "price_changed": line.price_changed,
            }
            for line in summary.lines
        ],
        "item_count": summary.item_count,
        "subtotal": _money(summary.subtotal),
        "can_check_out": summary.can_check_out,
        "warnings": summary.warnings,
    }


def _summary(request) -> dict:
    user = request_user(request)
    organization = organization_for_user(user=user) if user is not None else None
    return cart_out(cart_summary(cart=cart_for_request(request), organization=organization))


def _variant(sku: str) -> Variant:
    variant = Variant.objects.select_related("product").filter(sku=sku).first()
    if variant is None:
        raise NotFound(CartError.VARIANT_NOT_FOUND, f"No product has the SKU {sku!r}.", "sku")
    return variant


@router.get(
    "", response={200: CartOut, **error_responses(401)}, summary="The cart with prices, availability and warnings"
)
def cart_get(request):
    return _summary(request)


@router.post(
    "/lines",
    response={201: CartOut, **error_responses(400, 401, 403, 404, 422)},
    summary="Add units of a SKU to the cart",
)
def cart_line_add(request, payload: CartLineIn):
    variant = _variant(payload.sku)
    services.cart_add(cart=cart_for_request(request, create=True), variant=variant, quantity=payload.quantity)
    return Status(201, _summary(request))


@router.patch(
    "/lines/{sku}",
    response={200: CartOut, **error_responses(401, 403, 404, 422)},
    summary="Set the quantity of a SKU in the cart",
)
def cart_line_update(request, sku: str, payload: CartLineQuantityIn):
    variant = _variant(sku)
    cart = cart_for_request(request)
    if cart is None or not cart.lines.filter(variant=variant).exists():
        raise NotFound(CartError.LINE_NOT_FOUND, f"{sku} is not in the cart.", "sku")
    services.cart_set_quantity(cart=cart, variant=variant, quantity=payload.quantity)
    return _summary(request)


@router.delete(
    "/lines/{sku}", response={200: CartOut, **error_responses(401, 403, 404)}, summary="Remove a SKU from the cart"
)
def cart_line_remove(request, sku: str):
    variant = _variant(sku)
    cart = cart_for_request(request)
    if cart is None:
        raise NotFound(CartError.LINE_NOT_FOUND, f"{sku} is not in the cart.", "sku")
    services.cart_remove(cart=cart, variant=variant)
    return _summary(request)
