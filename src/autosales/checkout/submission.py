"""What a checkout submission is: how it pays, the address as ordered, its key, and the hash that says two
submissions under one key are the same request."""

import hashlib
import json
from dataclasses import dataclass

from autosales.checkout.errors import CheckoutError
from autosales.core.errors import DomainError
from autosales.core.money import Money
from autosales.customers.addresses import AddressInvalid, address_clean
from autosales.customers.models import Address
from autosales.orders.models import PaymentKind
from autosales.payments.models import PaymentMethodOnFile
from autosales.pricing.shipping import ShippingMethod

MAX_KEY_LENGTH = 200
ADDRESS_FIELDS = ("name", "company", "line1", "line2", "city", "region", "postal_code", "country", "phone")


@dataclass(frozen=True)
class PaymentRequest:
    """How the customer pays: kind "card" with a gateway token, or kind "account".

    A card on file (`method`) is charged off-session, as the gateway's customer, while the customer is away
    (a standing order); `confirmed_payment` is a payment of that card the customer has since confirmed with
    their bank, used instead of a new charge when it still fits the order.
    """

    kind: str
    token: str = ""
    method: PaymentMethodOnFile | None = None
    confirmed_payment: str = ""

    @classmethod
    def on_file(cls, method: PaymentMethodOnFile, *, confirmed_payment: str = "") -> "PaymentRequest":
        return cls(
            kind=PaymentKind.CARD, token=method.method_reference, method=method, confirmed_payment=confirmed_payment
        )


def address_fields(address: Address) -> dict[str, str]:
    raw = {name: getattr(address, name, "") for name in ADDRESS_FIELDS}
    raw["country"] = str(getattr(address.country, "code", address.country) or "")
    try:
        cleaned = address_clean(fields=raw)
    except AddressInvalid as exc:
        errors = [DomainError(e.code, e.message, f"shipping_address.{e.field}") for e in exc.errors]
        raise AddressInvalid(errors) from None
    return {name: cleaned.get(name, "") for name in ADDRESS_FIELDS}


def request_hash(
    *,
    lines,
    address: dict,
    shipping_method: ShippingMethod,
    payment: PaymentRequest,
    source: str,
    reference: str,
    expected_total: Money | None,
    requested_delivery_date=None,
) -> str:
    body = {
        "lines": sorted([line.variant_id, line.quantity] for line in lines),
        "address": address,
        "shipping_method": shipping_method.code,
        "payment": [payment.kind, payment.token],
        "source": source,
        "reference": reference,
    }
    if expected_total is not None:
        body["expected_total"] = [str(expected_total.amount), expected_total.currency]
    if requested_delivery_date is not None:
        body["requested_delivery_date"] = requested_delivery_date.isoformat()
    return hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()


def idempotency_key_clean(idempotency_key: str | None) -> str:
    """The key as stored (surrounding blanks dropped); raises DomainError naming `idempotency_key` when unusable."""
    key = (idempotency_key or "").strip()
    if not key or len(key) > MAX_KEY_LENGTH or not key.isprintable():
        raise DomainError(
            CheckoutError.IDEMPOTENCY_KEY_INVALID,
            f"An idempotency key of 1 to {MAX_KEY_LENGTH} printable characters is required.",
            "idempotency_key",
        )
    return key
