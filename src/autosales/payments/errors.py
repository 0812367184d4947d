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
    CARD_NUMBER_NOT_ALLOWED = "card_number_not_allowed"
    AUTHENTICATION_REQUIRED = "payment_authentication_required"
    METHOD_NOT_SAVED = "payment_method_not_saved"


class PaymentUnavailable(DomainError):
    """The gateway could not be reached or did not answer: the outcome is unknown, a retry is safe."""

    status = 503


class PaymentActionRequired(DomainError):
    """The bank wants the customer to confirm this payment (3-D Secure) before it can be taken.

    `payment` is the public id of the payment waiting for that confirmation: the customer completes it on
    a page of ours with the payment service's script, and the same payment can then be used.
    """

    status = 402

    def __init__(self, code, message: str, field: str | None = None, *, payment: str = ""):
        super().__init__(code, message, field)
        self.payment = payment
