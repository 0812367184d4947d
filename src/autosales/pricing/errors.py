"""Error codes of pricing."""

from enum import StrEnum


class PricingError(StrEnum):
    PRICE_NOT_FOUND = "price_not_found"
