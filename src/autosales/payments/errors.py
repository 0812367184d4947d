from enum import StrEnum

from autosales.core.errors import DomainError


class PaymentError(StrEnum):
    DECLINED = "card_declined"
    INSUFFICIENT_FUNDS = "insufficient_funds"
    NETWORK = "payment_network_error"
    INVALID_TOKEN = "payment_token_invalid"
    ILLEGAL_TRANSITION = "payment_illegal_transition"
    WEBHOOK_SIGNATURE = "webhook_signature_invalid"
    WEBHOOK_PAYLOAD = "webhook_payload_invalid"
    UNKNOWN_PROVIDER = "payment_provider_unknown"


class PaymentUnavailable(DomainError):
    """The gateway could not be reached or did not answer: the outcome is unknown, a retry is safe."""

    status = 503
