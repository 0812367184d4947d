"""Stripe as a card-payment provider, through the official SDK (PaymentIntents).

The page collects the card with Stripe.js, which hands it a PaymentMethod id (`pm_...`); that id is the
payment token. Card numbers and CVVs never reach this server, and nothing here logs a token.

- authorize: one PaymentIntent created and confirmed in one call with `capture_method=manual`: the money
  is held, and taken by `capture` when the order flow decides (so a checkout that cannot become an order
  is voided, never refunded); or, with `capture=True` (a shop that takes the money at order), with
  `capture_method=automatic`: a sale, the intent succeeds in that one call (a checkout that then cannot
  become an order is refunded).
- capture / void / refund: capture the intent, cancel it, or refund (part of) it.
- Every call that creates or moves money sends our idempotency key as Stripe's `Idempotency-Key`, so a
  retry after a timeout (by the SDK itself, or by us later with the same key) gets the first answer back
  and never charges twice.
- Cards on file (standing orders): `method_save` creates the organization's Customer and attaches the
  PaymentMethod with an off-session SetupIntent; `authorize(customer=..., off_session=True)` charges it while
  the customer is away. A bank that wants the customer raises AuthenticationRequired of kind ACTION_REQUIRED;
  `action_details` gives the page the intent's client secret and `action_complete` reads the outcome.
- Webhooks: the `Stripe-Signature` header is checked with `stripe.Webhook.construct_event`.

Settings: STRIPE_SECRET_KEY, STRIPE_PUBLISHABLE_KEY, STRIPE_WEBHOOK_SECRET, STRIPE_API_BASE (another
server speaking the Stripe API, e.g. a local fake in tests), STRIPE_JS_URL, STRIPE_TIMEOUT_SECONDS,
STRIPE_MAX_NETWORK_RETRIES (see docs/configuration.md).
"""

from __future__ import annotations

import json
import logging
import threading
from decimal import Decimal

import stripe
from django.conf import settings

from autosales.core.errors import DomainError
from autosales.core.money import Money, quantize
from autosales.payments.errors import PaymentError
from autosales.payments.providers.base import FailureKind, ProviderError, ProviderResult, SavedMethod, WebhookEvent

log = logging.getLogger(__name__)


def _no_sdk_debug(record: logging.LogRecord) -> bool:
    # At DEBUG the SDK logs whole request and response bodies: payment tokens, client secrets.
    return record.levelno > logging.DEBUG


logging.getLogger("stripe").addFilter(_no_sdk_debug)

SIGNATURE_HEADER = "stripe-signature"

# Stripe's event types, in our words (see WebhookEvent.kind).
EVENT_KINDS = {
    "payment_intent.amount_capturable_updated": "authorized",
    "payment_intent.succeeded": "captured",
    "payment_intent.canceled": "voided",
    "payment_intent.payment_failed": "failed",
    "charge.captured": "captured",
    "charge.refunded": "refunded",
}

# Decline codes that mean "not enough money" (https://docs.stripe.com/declines/codes).
_INSUFFICIENT_FUNDS = {"insufficient_funds", "card_velocity_exceeded", "withdrawal_count_limit_exceeded"}

AUTHENTICATION_MESSAGE = (
    "Your bank requires an extra confirmation step (3-D Secure) for this card, which this checkout does not "
    "support. Nothing was charged; please use another card."
)


class AuthenticationRequired(ProviderError):
    """The card needs the customer to authenticate (3-D Secure) before it can be charged.

    At checkout it is of kind DECLINED (nothing is held; the checkout does not run the extra step); charging a
    card on file while the customer is away it is of kind ACTION_REQUIRED: the customer is asked to confirm
    the payment on our page. It carries the intent's `client_secret`, which Stripe.js needs for that.
    """

    def __init__(self, *, reference: str, client_secret: str, off_session: bool = False):
        kind = FailureKind.ACTION_REQUIRED if off_session else FailureKind.DECLINED
        super().__init__(kind, "card requires authentication (3-D Secure)", reference=reference)
        if not off_session:
            self.message = AUTHENTICATION_MESSAGE
        self.client_secret = client_secret


def client_config() -> dict:
    """What the checkout page needs to collect a card with Stripe.js (publishable values only)."""
    return {
        "provider": "stripe",
        "publishable_key": settings.STRIPE_PUBLISHABLE_KEY,
        "js_url": settings.STRIPE_JS_URL,
        "token_field": "payment_token",
    }


def minor_units(money: Money) -> int:
    """The amount in the currency's smallest unit, as Stripe counts it (cents for USD, yen for JPY)."""
    amount = quantize(money.amount, money.currency)
    exponent = -amount.as_tuple().exponent
    return int(amount.scaleb(exponent))


def from_minor_units(amount: int, currency: str) -> Money:
    currency = currency.upper()
    exponent = -quantize(Decimal(1), currency).as_tuple().exponent
    return Money(Decimal(int(amount)).scaleb(-exponent), currency)


_clients: dict[tuple, stripe.StripeClient] = {}
_clients_lock = threading.Lock()


def _client() -> stripe.StripeClient:
    """One SDK client per configuration (the settings can change under tests), shared by threads."""
    secret_key = settings.STRIPE_SECRET_KEY
    if not secret_key:
        raise ProviderError(FailureKind.NETWORK, "STRIPE_SECRET_KEY is not set")
    config = (
        secret_key,
        settings.STRIPE_API_BASE,
        int(settings.STRIPE_MAX_NETWORK_RETRIES),
        float(settings.STRIPE_TIMEOUT_SECONDS),
    )
    with _clients_lock:
        client = _clients.get(config)
        if client is None:
            client = stripe.StripeClient(
                secret_key,
                base_addresses={"api": settings.STRIPE_API_BASE} if settings.STRIPE_API_BASE else None,
                max_network_retries=config[2],
                http_client=stripe.RequestsClient(timeout=config[3]),
            )
            _clients[config] = client
        return client


def _failure(exc: stripe.StripeError, *, reference: str = "") -> ProviderError:
    """A Stripe error as one of our failure kinds; the detail is Stripe's message (no card data in it)."""
    detail = f"stripe {type(exc).__name__} {exc.http_status or ''} {exc.code or ''}: {exc.user_message or ''}"
    if isinstance(exc, stripe.CardError):
        error = exc.error.to_dict() if exc.error is not None else {}
        decline_code = error.get("decline_code") or ""
        intent = error.get("payment_intent")
        if intent and not reference:
            reference = intent.get("id", "") if isinstance(intent, dict) else str(intent)
        if exc.code == "authentication_required":
            # An off-session charge the bank wants the customer to confirm: Stripe answers 402 with the intent.
            secret = intent.get("client_secret", "") if isinstance(intent, dict) else ""
            return AuthenticationRequired(reference=reference, client_secret=secret or "", off_session=True)
        if decline_code in _INSUFFICIENT_FUNDS or exc.code in _INSUFFICIENT_FUNDS:
            return ProviderError(FailureKind.INSUFFICIENT_FUNDS, detail, reference=reference)
        return ProviderError(FailureKind.DECLINED, detail, reference=reference)
    if isinstance(exc, stripe.APIConnectionError | stripe.RateLimitError):
        # The answer was lost or Stripe asked us to slow down: the outcome is unknown, a retry with the
        # same idempotency key is safe.
        return ProviderError(FailureKind.NETWORK, detail, reference=reference)
    if isinstance(exc, stripe.AuthenticationError | stripe.PermissionError):
        log.error("Stripe refused our API key (%s): check STRIPE_SECRET_KEY", type(exc).__name__)
        return ProviderError(FailureKind.NETWORK, detail, reference=reference)
    if isinstance(exc, stripe.IdempotencyError | stripe.InvalidRequestError):
        return ProviderError(FailureKind.INVALID, detail, reference=reference)
    # APIError: a 409 (the same key still in flight) or a 5xx; nothing is known, a retry is safe.
    return ProviderError(FailureKind.NETWORK, detail, reference=reference)


def _result(intent, status: str, amount: Money | None = None) -> ProviderResult:
    return ProviderResult(
        reference=intent["id"],
        status=status,
        amount=amount or from_minor_units(intent["amount"], intent["currency"]),
        raw={"id": intent["id"], "status": intent["status"], "amount": intent["amount"]},
    )


def _metadata(metadata: dict) -> dict:
    # Stripe's limits: 50 keys, key names up to 40 characters, values up to 500.
    return {str(k)[:40]: str(v)[:500] for k, v in list((metadata or {}).items())[:50]}


class StripeProvider:
    """The `PaymentProvider` for `PAYMENT_PROVIDER=stripe`."""

    name = "stripe"

    @property
    def client(self) -> stripe.StripeClient:
        return _client()

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
        if not idempotency_key:
            raise ValueError("Stripe payments need an idempotency key")
        if not token or not token.startswith(("pm_", "card_", "src_")):
            raise ProviderError(FailureKind.INVALID, "the payment token is not a Stripe PaymentMethod id")
        params = {
            "amount": minor_units(amount),
            "currency": amount.currency.lower(),
            "payment_method": token,
            "payment_method_types": ["card"],
            "capture_method": "automatic" if capture else "manual",
            "confirm": True,
            "metadata": _metadata(metadata),
        }
        if customer:
            params["customer"] = customer
        if off_session:
            # Stripe's off-session flow: the customer is not there; a bank that wants them gets a 402.
            params["off_session"] = True
        if not capture and settings.PAYMENT_CAPTURE_AT_SHIPMENT:
            # Each shipment captures its part (multicapture, where the card and the account allow it).
            params["payment_method_options"] = {"card": {"request_multicapture": "if_available"}}
        try:
            intent = self.client.v1.payment_intents.create(params=params, options={"idempotency_key": idempotency_key})
            if intent["status"] in ("processing", "requires_confirmation"):
                # A replayed answer can be older than the intent: ask for its state now.
                intent = self.client.v1.payment_intents.retrieve(intent["id"])
        except stripe.StripeError as exc:
            raise _failure(exc) from exc
        return self._authorized(intent.to_dict(), off_session=off_session)

    def method_save(self, *, token: str, customer: str, description: str, idempotency_key: str) -> SavedMethod:
        """Stripe's flow for charging later: a Customer, and a SetupIntent that attaches the PaymentMethod for off-session use."""
        if not token or not token.startswith("pm_"):
            raise ProviderError(FailureKind.INVALID, "the payment token is not a Stripe PaymentMethod id")
        try:
            if not customer:
                customer = self.client.v1.customers.create(
                    params={"description": description[:350]},
                    options={"idempotency_key": f"{idempotency_key}:customer"},
                )["id"]
            setup = self.client.v1.setup_intents.create(
                params={"customer": customer, "usage": "off_session", "payment_method_types": ["card"]},
                options={"idempotency_key": f"{idempotency_key}:setup"},
            )
            setup = self.client.v1.setup_intents.confirm(
                setup["id"],
                params={"payment_method": token},
                options={"idempotency_key": f"{idempotency_key}:setup-confirm"},
            )
            if setup["status"] != "succeeded":
                # requires_action: the bank wants the cardholder at set-up; that page step is not offered.
                raise ProviderError(FailureKind.DECLINED, f"stripe setup intent {setup['status']}")
            card = self.client.v1.payment_methods.retrieve(token).to_dict().get("card") or {}
        except stripe.StripeError as exc:
            raise _failure(exc) from exc
        return SavedMethod(
            customer_reference=customer,
            method_reference=token,
            brand=str(card.get("brand") or ""),
            last4=str(card.get("last4") or ""),
            exp_month=card.get("exp_month"),
            exp_year=card.get("exp_year"),
        )

    def action_details(self, *, reference: str) -> dict:
        try:
            intent = self.client.v1.payment_intents.retrieve(reference).to_dict()
        except stripe.StripeError as exc:
            raise _failure(exc, reference=reference) from exc
        method = intent.get("payment_method") or ""
        return {
            "client_secret": intent.get("client_secret") or "",
            "status": intent["status"],
            "payment_method": method.get("id", "") if isinstance(method, dict) else method,
        }

    def action_complete(self, *, reference: str) -> ProviderResult:
        try:
            intent = self.client.v1.payment_intents.retrieve(reference).to_dict()
        except stripe.StripeError as exc:
            raise _failure(exc, reference=reference) from exc
        if intent["status"] in ("requires_action", "requires_payment_method", "requires_confirmation"):
            raise AuthenticationRequired(
                reference=reference, client_secret=intent.get("client_secret") or "", off_session=True
            )
        return self._authorized(intent, off_session=True)

    def _authorized(self, intent, *, off_session: bool = False) -> ProviderResult:
        status = intent["status"]
        if status == "requires_capture":
            return _result(intent, "authorized")
        if status == "succeeded":
            return _result(intent, "captured")
        if status == "requires_action":
            raise AuthenticationRequired(
                reference=intent["id"], client_secret=intent.get("client_secret") or "", off_session=off_session
            )
        if status == "processing":
            raise ProviderError(FailureKind.NETWORK, "the card payment is still processing", reference=intent["id"])
        error = intent.get("last_payment_error") or {}
        code = error.get("decline_code") or error.get("code") or ""
        kind = FailureKind.INSUFFICIENT_FUNDS if code in _INSUFFICIENT_FUNDS else FailureKind.DECLINED
        raise ProviderError(kind, f"stripe payment intent {status}: {code}", reference=intent["id"])

    def capture(self, *, reference: str, amount: Money, idempotency_key: str, final: bool = True) -> ProviderResult:
        if not final:
            return self._capture_part(reference=reference, amount=amount, idempotency_key=idempotency_key)
        try:
            intent = self.client.v1.payment_intents.capture(
                reference,
                params={"amount_to_capture": minor_units(amount)},
                options={"idempotency_key": idempotency_key},
            )
        except stripe.InvalidRequestError as exc:
            intent = self._retrieve_after(exc, reference=reference, done="succeeded")
        except stripe.StripeError as exc:
            raise _failure(exc, reference=reference) from exc
        intent = intent.to_dict()
        if intent["status"] != "succeeded":
            raise ProviderError(FailureKind.INVALID, f"capture left the intent {intent['status']}", reference=reference)
        received = intent.get("amount_received") or minor_units(amount)
        return _result(intent, "captured", from_minor_units(received, intent["currency"]))

    def _capture_part(self, *, reference: str, amount: Money, idempotency_key: str) -> ProviderResult:
        """Stripe's multicapture (`final_capture=false`): the intent stays open for the next shipment's capture."""
        try:
            intent = self.client.v1.payment_intents.capture(
                reference,
                params={"amount_to_capture": minor_units(amount), "final_capture": False},
                options={"idempotency_key": idempotency_key},
            ).to_dict()
        except stripe.StripeError as exc:
            raise _failure(exc, reference=reference) from exc
        if intent["status"] != "requires_capture":
            raise ProviderError(FailureKind.INVALID, f"partial capture left the intent {intent['status']}")
        return _result(intent, "authorized", amount)

    def void(self, *, reference: str, idempotency_key: str) -> ProviderResult:
        try:
            intent = self.client.v1.payment_intents.cancel(reference, options={"idempotency_key": idempotency_key})
        except stripe.InvalidRequestError as exc:
            intent = self._retrieve_after(exc, reference=reference, done="canceled")
        except stripe.StripeError as exc:
            raise _failure(exc, reference=reference) from exc
        if intent["status"] == "succeeded":
            # Partly captured (multicapture): cancelling released the rest; what was taken stays taken.
            return _result(intent, "captured", from_minor_units(intent["amount_received"], intent["currency"]))
        return _result(intent, "voided")

    def _retrieve_after(self, exc: stripe.InvalidRequestError, *, reference: str, done: str):
        """The intent when a refused capture/cancel had in fact already happened (a retry); else the error."""
        try:
            intent = self.client.v1.payment_intents.retrieve(reference)
        except stripe.StripeError as again:
            raise _failure(again, reference=reference) from exc
        if intent["status"] != done:
            raise _failure(exc, reference=reference) from exc
        return intent

    def refund(self, *, reference: str, amount: Money, idempotency_key: str) -> ProviderResult:
        try:
            refund = self.client.v1.refunds.create(
                params={"payment_intent": reference, "amount": minor_units(amount)},
                options={"idempotency_key": idempotency_key},
            )
        except stripe.StripeError as exc:
            raise _failure(exc, reference=reference) from exc
        if refund["status"] in ("failed", "canceled"):
            raise ProviderError(FailureKind.INVALID, f"stripe refund {refund['status']}", reference=reference)
        return ProviderResult(
            reference=reference,
            status="refunded",
            amount=from_minor_units(refund["amount"], refund["currency"]),
            raw={"id": refund["id"], "status": refund["status"], "amount": refund["amount"]},
        )

    def verify_webhook(self, *, payload: bytes, headers: dict) -> WebhookEvent:
        secret = settings.STRIPE_WEBHOOK_SECRET
        if not secret:
            log.error("a Stripe webhook arrived but STRIPE_WEBHOOK_SECRET is not set")
            raise DomainError(
                PaymentError.WEBHOOK_SIGNATURE, "Stripe webhooks are not configured (no webhook secret).", "signature"
            )
        signature = _header(headers, SIGNATURE_HEADER)
        try:
            stripe.Webhook.construct_event(payload, signature, secret)
        except stripe.SignatureVerificationError as exc:
            raise DomainError(
                PaymentError.WEBHOOK_SIGNATURE, f"The Stripe-Signature header does not verify: {exc}", "signature"
            ) from exc
        except ValueError as exc:
            raise DomainError(PaymentError.WEBHOOK_PAYLOAD, f"Not a Stripe event: {exc}", "payload") from exc
        return webhook_event(json.loads(payload))


def webhook_event(body: dict) -> WebhookEvent:
    """A verified Stripe event (as JSON) in our terms; raises DomainError(payload) when it is not one."""
    try:
        event_id, event_type = str(body["id"]), str(body["type"])
        obj = body["data"]["object"]
        kind = EVENT_KINDS.get(event_type, event_type)
        amount = None
        if event_type.startswith("charge."):
            reference = obj.get("payment_intent") or obj["id"]
            if isinstance(reference, dict):
                reference = reference["id"]
            cents = obj.get("amount_refunded") if kind == "refunded" else obj.get("amount_captured", obj.get("amount"))
        else:
            reference = obj.get("id", "")
            cents = obj.get("amount_received", obj.get("amount")) if kind == "captured" else obj.get("amount")
        if cents is not None and obj.get("currency"):
            amount = from_minor_units(int(cents), obj["currency"])
        return WebhookEvent(event_id=event_id, kind=kind, reference=str(reference), amount=amount, payload=body)
    except (KeyError, TypeError, ValueError, AttributeError, ArithmeticError) as exc:
        raise DomainError(PaymentError.WEBHOOK_PAYLOAD, f"Not a Stripe event: missing {exc}", "payload") from exc


def _header(headers: dict, name: str) -> str:
    # Accepts request.headers ("Stripe-Signature") and request.META ("HTTP_STRIPE_SIGNATURE") alike.
    for key, value in headers.items():
        if key.lower().replace("_", "-").removeprefix("http-") == name:
            return str(value)
    return ""
