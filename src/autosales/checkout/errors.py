from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING

from autosales.core.errors import Conflict, DomainError

if TYPE_CHECKING:
    from autosales.checkout.pricing import Quote
    from autosales.core.money import Money


class CheckoutError(StrEnum):
    NO_LINES = "checkout_no_lines"
    QUANTITY_INVALID = "quantity_invalid"
    VARIANT_NOT_FOR_SALE = "variant_not_for_sale"
    PRICE_MISSING = "price_missing"
    CURRENCY_MIXED = "currency_mixed"
    SHIPPING_METHOD_UNAVAILABLE = "shipping_method_unavailable"
    ADDRESS_NOT_YOURS = "address_not_yours"
    PAYMENT_KIND_INVALID = "payment_kind_invalid"
    CARD_TOKEN_REQUIRED = "card_token_required"
    ACCOUNT_NO_TERMS = "account_no_terms"
    ACCOUNT_CREDIT_HOLD = "account_credit_hold"
    ACCOUNT_CREDIT_LIMIT = "account_credit_limit"
    IDEMPOTENCY_KEY_INVALID = "idempotency_key_invalid"
    IDEMPOTENCY_KEY_REUSED = "idempotency_key_reused"
    IN_PROGRESS = "checkout_in_progress"
    EXPIRED = "checkout_expired"
    NO_ORGANIZATION = "checkout_no_organization"
    PRICE_CHANGED = "price_changed"
    DELIVERY_DATE_NOT_ALLOWED = "delivery_date_not_allowed"
    DELIVERY_DATE_TOO_EARLY = "delivery_date_too_early"


class IdempotencyKeyReused(DomainError):
    """The key was used before for a different request: refused, nothing changes."""

    status = 422


class PriceChanged(Conflict):
    """The order would cost other than the total the customer was shown: refused before anything is held or charged.

    `quote` is what it costs now, for the customer to look at and confirm again.
    """

    def __init__(self, *, expected: Money, quote: Quote):
        super().__init__(
            CheckoutError.PRICE_CHANGED,
            f"Prices changed since you looked: the total is now {quote.total} (it was {expected}). "
            "Check the new figures and confirm again.",
            "expected_total",
        )
        self.expected = expected
        self.quote = quote
