from enum import StrEnum


class CartError(StrEnum):
    QUANTITY_INVALID = "quantity_invalid"
    QUANTITY_TOO_LARGE = "quantity_too_large"
    # Below the variant's minimum order, or not a whole number of its packs.
    QUANTITY_NOT_ORDERABLE = "quantity_not_orderable"
    VARIANT_NOT_FOUND = "variant_not_found"
    VARIANT_NOT_FOR_SALE = "variant_not_for_sale"
    LINE_NOT_FOUND = "line_not_found"
    QUICK_ORDER_INVALID = "quick_order_invalid"
