"""Router `checkout`: turn lines (or the caller's cart) into an order, once per `Idempotency-Key`.

The same key with the same body gets the first answer again (the same status code and body, with the header
`Idempotent-Replayed: true`) without charging again, whenever it comes: later, or together with the first;
the same key with a different body is refused (422) and changes nothing.
"""

import datetime as dt
from decimal import Decimal
from typing import Literal

from django.http import HttpRequest, HttpResponse
from ninja import Field, Header, Router, Schema, Status

from autosales.cart.models import CartLine
from autosales.cart.services import cart_clear
from autosales.cart.session import cart_for_request
from autosales.catalog.api import MoneyOut
from autosales.catalog.models import Variant
from autosales.checkout.answers import (
    CheckoutAnswer,
    CheckoutAnswerer,
    checkout_answer_find,
    checkout_answer_record,
    request_fingerprint,
)
from autosales.checkout.errors import CheckoutError, PriceChanged
from autosales.checkout.placement import (
    MAX_KEY_LENGTH,
    LineRequest,
    PaymentRequest,
    idempotency_key_clean,
    place_order,
)
from autosales.checkout.pricing import MAX_LINE_QUANTITY, Quote, QuoteMemo
from autosales.core.errors import DomainError, NotFound
from autosales.core.http.errors import ErrorOut, error_body, error_responses
from autosales.core.http.fields import Quantity
from autosales.core.money import Money
from autosales.customers.models import Address, Organization
from autosales.customers.selectors import address_by_public_id, organization_for_user
from autosales.orders.api import OrderDetailOut, order_out
from autosales.orders.models import OrderSource
from autosales.orders.selectors import order_for_customer
from autosales.pricing.shipping import ShippingMethod

router = Router(tags=["checkout"])

MAX_LINES = 500


class CheckoutLineIn(Schema):
    sku: str = Field(min_length=1, max_length=64)
    quantity: Quantity = Field(ge=1, le=MAX_LINE_QUANTITY)


class ShippingAddressIn(Schema):
    id: str = Field("", max_length=32, description="An address of your address book; or give the fields instead.")
    name: str = Field("", max_length=200)
    company: str = Field("", max_length=200)
    line1: str = Field("", max_length=200)
    line2: str = Field("", max_length=200)
    city: str = Field("", max_length=100)
    region: str = Field("", max_length=100)
    postal_code: str = Field("", max_length=20)
    country: str = Field("", max_length=2, description="ISO 3166 alpha-2, e.g. US")
    phone: str = Field("", max_length=32)


class PaymentIn(Schema):
    kind: Literal["card", "account"]
    token: str = Field("", max_length=255, description="card: the gateway token (test gateway: tok_approve, ...)")


class MoneyIn(Schema):
    amount: Decimal = Field(ge=0, max_digits=14, decimal_places=2, description='Decimal amount, e.g. "26.25".')
    currency: str = Field(min_length=3, max_length=3, pattern="^[A-Z]{3}$", description="ISO 4217 code.")


class QuoteLineOut(Schema):
    sku: str
    name: str
    quantity: int
    unit_price: MoneyOut
    line_total: MoneyOut


class QuoteOut(Schema):
    lines: list[QuoteLineOut]
    subtotal: MoneyOut
    shipping: MoneyOut
    tax: MoneyOut
    total: MoneyOut


class CheckoutConflictOut(ErrorOut):
    quote: QuoteOut | None = Field(None, description="price_changed: what the order costs now.")


class CheckoutIn(Schema):
    lines: list[CheckoutLineIn] | None = Field(
        None, max_length=MAX_LINES, description="What to order; omit to order the caller's cart."
    )
    shipping_address: ShippingAddressIn
    shipping_method: str = Field(min_length=1, max_length=40, description="A shipping method code.")
    payment: PaymentIn
    customer_reference: str = Field("", max_length=100, description="Your PO number or reference.")
    expected_total: MoneyIn | None = Field(
        None, description="The total you showed your user; if the order would cost anything else: 409 price_changed."
    )
    requested_delivery_date: dt.date | None = Field(
        None,
        description="Business accounts: deliver on or before this later date (YYYY-MM-DD) rather than as soon as "
        "possible; earlier than the order could arrive: 400 delivery_date_too_early.",
        examples=["2027-03-15"],
    )


def _lines(payload: CheckoutIn, request: HttpRequest) -> tuple[list[LineRequest], QuoteMemo | None]:
    """The requested lines, and their variants as read here for the quote (None: they came from the caller's cart)."""
    if payload.lines is None:
        cart = cart_for_request(request)
        rows = CartLine.objects.filter(cart=cart).order_by("id") if cart is not None else []
        return [LineRequest(variant_id=row.variant_id, quantity=row.quantity) for row in rows], None
    # With their products: the quote prices them from these, without reading them again.
    by_sku = {
        v.sku: v for v in Variant.objects.select_related("product").filter(sku__in={line.sku for line in payload.lines})
    }
    lines = []
    for i, line in enumerate(payload.lines):
        if line.sku not in by_sku:
            raise DomainError(
                CheckoutError.VARIANT_NOT_FOR_SALE, f"No product has the SKU {line.sku!r}.", f"lines[{i}].sku"
            )
        lines.append(LineRequest(variant_id=by_sku[line.sku].pk, quantity=line.quantity))
    return lines, QuoteMemo(variants={v.pk: v for v in by_sku.values()})


def _address(payload: ShippingAddressIn, organization: Organization | None) -> Address:
    if payload.id:
        try:
            return address_by_public_id(organization=organization, public_id=payload.id)
        except NotFound as exc:
            raise NotFound(exc.code, exc.message, "shipping_address.id") from exc
    # Used for this order only; the address book is not changed.
    fields = payload.dict(exclude={"id"})
    return Address(organization=organization, **fields)


def _shipping_method(code: str) -> ShippingMethod:
    method = ShippingMethod.objects.filter(code=code, is_active=True).first()
    if method is None:
        raise DomainError(
            CheckoutError.SHIPPING_METHOD_UNAVAILABLE, f"No shipping method has the code {code!r}.", "shipping_method"
        )
    return method


def _money(value: Money) -> dict:
    return {"amount": value.amount, "currency": value.currency}


def _price_changed(exc: PriceChanged) -> dict:
    quote: Quote = exc.quote
    return {
        **error_body(exc.code, exc.message, [{"field": exc.field, "code": exc.code, "message": exc.message}]),
        "quote": {
            "lines": [
                {
                    "sku": line.sku,
                    "name": line.name,
                    "quantity": line.quantity,
                    "unit_price": _money(line.unit_price),
                    "line_total": _money(line.line_total),
                }
                for line in quote.lines
            ],
            "subtotal": _money(quote.subtotal),
            "shipping": _money(quote.shipping),
            "tax": _money(quote.tax),
            "total": _money(quote.total),
        },
    }


def _answer_body(order) -> dict:
    """The 201 body, from the order as placed (its lines and trail in memory: nothing is read back)."""
    return OrderDetailOut.model_validate(order_out(order, detail=True)).model_dump(mode="json")


def _place(
    request, payload: CheckoutIn, *, organization: Organization | None, key: str, fingerprint: str
) -> CheckoutAnswer:
    """Places the order and keeps the answer; a twin that answered first gives its answer instead."""
    lines, memo = _lines(payload, request)
    from_cart = memo is None
    if from_cart and not lines:
        # A twin may have answered and emptied the cart since the look-up: its answer is ours.
        answer = checkout_answer_find(organization=organization, key=key, fingerprint=fingerprint)
        if answer is not None:
            return answer
    expected = payload.expected_total
    answerer = CheckoutAnswerer(fingerprint=fingerprint, render=_answer_body)
    order = place_order(
        organization=organization,
        user=request.auth,
        lines=lines,
        shipping_address=_address(payload.shipping_address, organization),
        shipping_method=_shipping_method(payload.shipping_method),
        payment=PaymentRequest(kind=payload.payment.kind, token=payload.payment.token),
        idempotency_key=key,
        source=OrderSource.API,
        customer_reference=payload.customer_reference,
        expected_total=Money(expected.amount, expected.currency) if expected is not None else None,
        requested_delivery_date=payload.requested_delivery_date,
        answer=answerer,
        memo=memo,
    )
    answer = answerer.answer
    if answer is None:
        # Finished another way (a card captured after confirming): keep the answer now, which lets the key go.
        body = _answer_body(order_for_customer(public_id=order.public_id, organization=organization))
        answer = checkout_answer_record(
            organization=organization, key=key, fingerprint=fingerprint, status=201, body=body
        )
    if from_cart and not answer.replayed:
        cart = cart_for_request(request)
        if cart is not None:
            cart_clear(cart=cart, variant_ids=[line.variant_id for line in lines])
    return answer


@router.post(
    "",
    response={201: OrderDetailOut, 409: CheckoutConflictOut, **error_responses(400, 401, 403, 404, 422, 503)},
    summary="Place an order (201); a replay with the same Idempotency-Key and body gets the same answer",
)
def checkout(
    request,
    response: HttpResponse,
    payload: CheckoutIn,
    idempotency_key: str = Header(
        ...,
        alias="Idempotency-Key",
        min_length=1,
        max_length=MAX_KEY_LENGTH,
        description="A unique key per order you mean to place, e.g. a UUID; send it again to retry safely.",
    ),
):
    organization = organization_for_user(user=request.auth)
    key = idempotency_key_clean(idempotency_key)
    fingerprint = request_fingerprint(body=payload.dict())
    from_cart = payload.lines is None
    # Before the cart is read: the order the first request placed has emptied it. Given lines, a key met
    # before is found as it is claimed, and the look-up is needed only when the request is refused before.
    answer = checkout_answer_find(organization=organization, key=key, fingerprint=fingerprint) if from_cart else None
    if answer is None:
        try:
            answer = _place(request, payload, organization=organization, key=key, fingerprint=fingerprint)
        except PriceChanged as exc:
            return Status(409, _price_changed(exc))
        except DomainError:
            # What was refused now (an address deleted, a product withdrawn since) may have been answered then.
            answer = (
                None if from_cart else checkout_answer_find(organization=organization, key=key, fingerprint=fingerprint)
            )
            if answer is None:
                raise
    if answer.replayed:
        response["Idempotent-Replayed"] = "true"
    return Status(answer.status, answer.body)
