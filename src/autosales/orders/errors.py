from enum import StrEnum


class OrderError(StrEnum):
    NOT_FOUND = "order_not_found"
    ILLEGAL_TRANSITION = "order_illegal_transition"
    NOT_CANCELLABLE = "order_not_cancellable"
    REASON_REQUIRED = "cancel_reason_required"
    REFUND_FAILED = "order_refund_failed"
