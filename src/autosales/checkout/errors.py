from enum import StrEnum

from autosales.core.errors import DomainError


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


class IdempotencyKeyReused(DomainError):
    """The key was used before for a different request: refused, nothing changes."""

    status = 422
