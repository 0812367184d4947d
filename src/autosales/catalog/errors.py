"""Error codes of the catalog."""

from enum import StrEnum


class CatalogError(StrEnum):
    PRODUCT_NOT_FOUND = "product_not_found"
    CATEGORY_NOT_FOUND = "category_not_found"
    QUERY_TOO_LONG = "query_too_long"
    IMAGE_INVALID = "image_invalid"
    IMAGE_UNREACHABLE = "image_unreachable"
