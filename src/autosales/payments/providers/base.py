"""The interface every card-payment provider implements, and the values it exchanges.

Providers see gateway tokens only (never card numbers or CVV). Every call that moves money carries an
idempotency key, so the same call sent twice (after a timeout, say) moves the money once.
"""

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Protocol

from autosales.core.money import Money
from autosales.payments.card_numbers import card_numbers_redact


class FailureKind(StrEnum):
    DECLINED = "declined"
    INSUFFICIENT_FUNDS = "insufficient_funds"
    NETWORK = "network"
    INVALID = "invalid"
    # The bank wants the customer to confirm the payment (3-D Secure); nothing is taken until they do.
    ACTION_REQUIRED = "action_required"


CUSTOMER_MESSAGES = {
    FailureKind.DECLINED: "Your card was declined. Please use another card or contact your bank.",
    FailureKind.INSUFFICIENT_FUNDS: "Your card was declined for insufficient funds. Please use another card.",
    FailureKind.NETWORK: (
        "We could not reach the payment service. Nothing was confirmed; please try again "
        "in a moment. You will not be charged twice."
    ),
    FailureKind.INVALID: "The card details could not be used. Please enter them again.",
    FailureKind.ACTION_REQUIRED: (
        "Your bank asks you to confirm this payment (3-D Secure) before it can be taken. Nothing was charged."
    ),
}


class ProviderError(Exception):
    """A call to the provider failed; `kind` says how, `message` is safe to show the customer.

    `detail` (what we store and log) has any card number redacted: gateways echo what they were sent.
    """

    def __init__(self, kind: FailureKind, detail: str = "", *, reference: str = ""):
        self.kind = FailureKind(kind)
        self.message = CUSTOMER_MESSAGES[self.kind]
        self.detail = card_numbers_redact(detail) or self.message
        self.reference = reference
        super().__init__(f"{self.kind}: {self.detail}")


@dataclass(frozen=True)
class ProviderResult:
    """The provider's answer to a successful call."""

    reference: str
    status: str  # "authorized", "captured", "voided" or "refunded"
    amount: Money
    raw: dict = field(default_factory=dict)


@dataclass(frozen=True)
class SavedMethod:
    """A card saved at the gateway for later charges: references and what identifies it to a person, no card data."""

    customer_reference: str
    method_reference: str
    brand: str = ""
    last4: str = ""
    exp_month: int | None = None
    exp_year: int | None = None


@dataclass(frozen=True)
class WebhookEvent:
    """A verified event from the provider, in our terms."""

    event_id: str
    kind: str  # "authorized", "captured", "voided", "refunded", "failed", or the provider's own for others
    reference: str
    amount: Money | None = None
    payload: dict = field(default_factory=dict)


class PaymentProvider(Protocol):
    name: str

    def authorize(
        self,
        *,
        amount: Money,
        token: str,
        idempotency_key: str,
        metadata: dict,
        customer: str = "",
        off_session: bool = False,
        capture: bool = False,
    ) -> ProviderResult:
        """Hold `amount` on the card behind `token`; the same key returns the first call's result.

        With `capture` the same call also takes the money (a sale): the result's status is "captured".

        With `customer` and `off_session`, the card on file of that gateway customer is charged while the
        customer is away; a bank that wants them to confirm raises ProviderError(ACTION_REQUIRED).
        """
        ...

    def method_save(self, *, token: str, customer: str, description: str, idempotency_key: str) -> SavedMethod:
        """Save the card behind `token` for off-session charges, under `customer` (a new one when empty)."""
        ...

    def action_details(self, *, reference: str) -> dict:
        """What the customer's page needs to confirm a payment the bank asked about (e.g. a client secret)."""
        ...

    def action_complete(self, *, reference: str) -> ProviderResult:
        """The payment's state after the customer's confirmation; ProviderError(ACTION_REQUIRED) if not done yet."""
        ...

    def capture(self, *, reference: str, amount: Money, idempotency_key: str, final: bool = True) -> ProviderResult:
        """Take `amount` of the held money. `final=False` (a shop capturing at each shipment) keeps the rest of
        the hold for later captures; the final capture releases what it leaves. The result's amount is the
        total captured when the hold is closed."""
        ...

    def void(self, *, reference: str, idempotency_key: str) -> ProviderResult:
        """Release a hold that was not captured; after partial captures, release the rest (the result is then
        "captured", its amount what was taken)."""
        ...

    def refund(self, *, reference: str, amount: Money, idempotency_key: str) -> ProviderResult:
        """Give back captured money (all or part)."""
        ...

    def verify_webhook(self, *, payload: bytes, headers: dict) -> WebhookEvent:
        """Check the signature and parse the event; raises `DomainError` when it is not genuine."""
        ...
