"""The built-in test gateway: behaves like a remote card gateway, driven by documented test tokens.

Tokens (see docs/payments.md):
- ``tok_approve``: authorized.
- ``tok_decline``: declined.
- ``tok_insufficient_funds``: declined for insufficient funds.
- ``tok_network_error``: the authorization is made, then the answer is lost (a timeout). Sending the
  same idempotency key again returns that authorization: a retry never charges twice.
- ``tok_timeout_then_approve``: the first request is lost before it arrives (nothing is charged);
  sending it again with the same idempotency key authorizes.
- ``tok_authentication_required``: the bank wants the cardholder to confirm (3-D Secure). At checkout it
  is declined with the 3-D Secure message; charged off-session (a card on file) it waits for the
  customer's confirmation (`action_complete`), then is authorized.

Cards are saved (`method_save`) under a test customer (`tgc_...`); the saved method is the token itself,
so a saved `tok_decline` is declined off-session, as a card that expired since would be.

It keeps its own ledger (`TestGatewayCharge`) with idempotency keys, as a real gateway would, and signs
its webhooks with HMAC-SHA256 (`webhook_headers`) so `verify_webhook` can be exercised end to end.
"""

import hashlib
import hmac
import json
from decimal import Decimal

from django.conf import settings
from django.db import IntegrityError, transaction

from autosales.core import clock, ids
from autosales.core.errors import DomainError
from autosales.core.money import Money
from autosales.payments.errors import PaymentError
from autosales.payments.models import TestGatewayCharge
from autosales.payments.providers.base import FailureKind, ProviderError, ProviderResult, SavedMethod, WebhookEvent

TOKEN_APPROVE = "tok_approve"
TOKEN_DECLINE = "tok_decline"
TOKEN_INSUFFICIENT_FUNDS = "tok_insufficient_funds"
TOKEN_NETWORK_ERROR = "tok_network_error"
TOKEN_TIMEOUT_THEN_APPROVE = "tok_timeout_then_approve"
TOKEN_AUTHENTICATION_REQUIRED = "tok_authentication_required"
TOKENS = (
    TOKEN_APPROVE,
    TOKEN_DECLINE,
    TOKEN_INSUFFICIENT_FUNDS,
    TOKEN_NETWORK_ERROR,
    TOKEN_TIMEOUT_THEN_APPROVE,
    TOKEN_AUTHENTICATION_REQUIRED,
)
# The tokens and what each does, as the pages offer them to someone trying payments out.
TEST_TOKENS = [
    (TOKEN_APPROVE, "approved"),
    (TOKEN_DECLINE, "declined"),
    (TOKEN_INSUFFICIENT_FUNDS, "declined for insufficient funds"),
    (TOKEN_NETWORK_ERROR, "approved, but the answer is lost on the way back (try again: one charge)"),
    (TOKEN_TIMEOUT_THEN_APPROVE, "lost on the way there the first time, approved on the retry"),
    (
        TOKEN_AUTHENTICATION_REQUIRED,
        "the bank asks the cardholder to confirm (3-D Secure): declined at checkout; on a standing order,"
        " the customer is emailed a page to confirm each payment",
    ),
]
# What a saved test card shows a person (a last 4 digits per token, as a real card would have).
_LAST4 = {
    TOKEN_APPROVE: "4242",
    TOKEN_DECLINE: "0002",
    TOKEN_INSUFFICIENT_FUNDS: "9995",
    TOKEN_NETWORK_ERROR: "0119",
    TOKEN_TIMEOUT_THEN_APPROVE: "0077",
    TOKEN_AUTHENTICATION_REQUIRED: "3184",
}
AUTHENTICATION_DECLINE = "card requires authentication (3-D Secure)"

# The ledger's record of partial captures (kept in the charge's metadata, apart from what was sent).
CAPTURED = "captured_amount"
CAPTURE_KEYS = "capture_keys"
RELEASED = "rest_released"

SIGNATURE_HEADER = "x-test-gateway-signature"
SIGNATURE_TOLERANCE_SECONDS = 300

_EVENT_KINDS = {
    "charge.authorized": "authorized",
    "charge.captured": "captured",
    "charge.voided": "voided",
    "charge.refunded": "refunded",
    "charge.failed": "failed",
}

Status = TestGatewayCharge.Status


def _result(charge: TestGatewayCharge, status: str) -> ProviderResult:
    return ProviderResult(
        reference=charge.reference,
        status=status,
        amount=Money(charge.amount, charge.currency),
        raw={"reference": charge.reference, "status": charge.status},
    )


class TestGateway:
    """The `PaymentProvider` used by default, in the demo and in tests."""

    __test__ = False  # not a pytest test class, despite the name
    name = "test"

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
            raise ValueError("the test gateway needs an idempotency key")
        request = {k: str(v) for k, v in (metadata or {}).items()}
        if customer or off_session:
            request.update(customer=customer, off_session=str(bool(off_session)))
        if capture:
            request["capture"] = "True"
        if token not in TOKENS:
            raise ProviderError(FailureKind.INVALID, f"unknown test token {token[:20]!r}")
        if off_session and not customer.startswith("tgc_"):
            raise ProviderError(FailureKind.INVALID, "an off-session charge needs a test customer (tgc_...)")
        authentication = (Status.ACTION_REQUIRED, "") if off_session else (Status.DECLINED, FailureKind.DECLINED)
        taken = Status.CAPTURED if capture else Status.AUTHORIZED
        status, decline = {
            TOKEN_APPROVE: (taken, ""),
            TOKEN_DECLINE: (Status.DECLINED, FailureKind.DECLINED),
            TOKEN_INSUFFICIENT_FUNDS: (Status.DECLINED, FailureKind.INSUFFICIENT_FUNDS),
            TOKEN_NETWORK_ERROR: (taken, ""),
            TOKEN_TIMEOUT_THEN_APPROVE: (Status.LOST, ""),
            TOKEN_AUTHENTICATION_REQUIRED: authentication,
        }[token]
        charge = TestGatewayCharge(
            reference=f"tgw_{ids.random_code(16).lower()}",
            idempotency_key=idempotency_key,
            token=token,
            amount=amount.amount,
            currency=amount.currency,
            status=status,
            decline_code=str(decline),
            metadata=request,
        )
        try:
            # The key's first request is the common case: written at once, its unique key catching a repeat.
            # In a caller's transaction (tests), a savepoint keeps a repeat from spoiling it.
            if transaction.get_connection().in_atomic_block:
                with transaction.atomic():
                    charge.save(force_insert=True)
            else:
                charge.save(force_insert=True)
        except IntegrityError:
            # A repeat of the key (a retry, or the same request twice at once): answer as the first did.
            charge = TestGatewayCharge.objects.get(idempotency_key=idempotency_key)
            return self._replay(charge, amount=amount, token=token, request=request)
        return self._answer(charge)

    def _taken(self, charge: TestGatewayCharge) -> ProviderResult:
        return _result(charge, "captured" if charge.status == Status.CAPTURED else "authorized")

    def _answer(self, charge: TestGatewayCharge) -> ProviderResult:
        token, decline = charge.token, charge.decline_code
        if charge.status == Status.ACTION_REQUIRED:
            raise ProviderError(FailureKind.ACTION_REQUIRED, AUTHENTICATION_DECLINE, reference=charge.reference)
        if token == TOKEN_AUTHENTICATION_REQUIRED and charge.status == Status.DECLINED:
            raise ProviderError(FailureKind.DECLINED, AUTHENTICATION_DECLINE, reference=charge.reference)
        if decline:
            raise ProviderError(FailureKind(decline), f"test token {token}", reference=charge.reference)
        if token in (TOKEN_NETWORK_ERROR, TOKEN_TIMEOUT_THEN_APPROVE):
            raise ProviderError(FailureKind.NETWORK, f"test token {token}: timed out")
        return self._taken(charge)

    def _replay(self, charge: TestGatewayCharge, *, amount: Money, token: str, request: dict) -> ProviderResult:
        # As Stripe does: one key, one request. Anything else under the key is refused, not answered.
        sent = {k: v for k, v in charge.metadata.items() if k not in ("refund_keys", CAPTURED, CAPTURE_KEYS, RELEASED)}
        if Money(charge.amount, charge.currency) != amount or charge.token != token or sent != request:
            raise ProviderError(FailureKind.INVALID, "idempotency key reused with different parameters")
        if charge.status == Status.LOST:
            # The first request never arrived; this one does.
            taken = Status.CAPTURED if request.get("capture") else Status.AUTHORIZED
            updated = TestGatewayCharge.objects.filter(pk=charge.pk, status=Status.LOST).update(
                status=taken, updated_at=clock.now()
            )
            if not updated:
                charge.refresh_from_db()
            else:
                charge.status = taken
            if charge.status != Status.LOST:
                return self._taken(charge)
        if charge.status in (Status.DECLINED, Status.ACTION_REQUIRED):
            return self._answer(charge)
        return self._taken(charge)

    def method_save(self, *, token: str, customer: str, description: str, idempotency_key: str) -> SavedMethod:
        if token not in TOKENS:
            raise ProviderError(FailureKind.INVALID, f"unknown test token {token[:20]!r}")
        return SavedMethod(
            customer_reference=customer or f"tgc_{ids.random_code(16).lower()}",
            method_reference=token,
            brand="test",
            last4=_LAST4[token],
            exp_month=12,
            exp_year=clock.now().year + 5,
        )

    def action_details(self, *, reference: str) -> dict:
        # The test gateway's "bank page" is the confirm button of our own page: nothing to hand it.
        return {}

    def action_complete(self, *, reference: str) -> ProviderResult:
        """The cardholder confirmed: a charge waiting for them is authorized (once; later calls answer the same)."""
        with transaction.atomic():
            charge = self._locked(reference)
            if charge.status == Status.ACTION_REQUIRED:
                charge.status = Status.AUTHORIZED
                charge.save(update_fields=["status"])
            if charge.status == Status.CAPTURED:
                return _result(charge, "captured")
            if charge.status != Status.AUTHORIZED:
                raise ProviderError(FailureKind.INVALID, f"cannot confirm a {charge.status} charge")
            return _result(charge, "authorized")

    def _locked(self, reference: str) -> TestGatewayCharge:
        charge = TestGatewayCharge.objects.select_for_update().filter(reference=reference).first()
        if charge is None:
            raise ProviderError(FailureKind.INVALID, f"no charge {reference}")
        return charge

    def capture(self, *, reference: str, amount: Money, idempotency_key: str, final: bool = True) -> ProviderResult:
        with transaction.atomic():
            charge = self._locked(reference)
            keys = charge.metadata.get(CAPTURE_KEYS, [])
            if charge.status == Status.CAPTURED or idempotency_key in keys:
                return _result(charge, "captured" if charge.status == Status.CAPTURED else "authorized")
            if charge.status != Status.AUTHORIZED:
                raise ProviderError(FailureKind.INVALID, f"cannot capture a {charge.status} charge")
            captured = Decimal(charge.metadata.get(CAPTURED, "0")) + amount.amount
            if amount.currency != charge.currency or captured > charge.amount:
                raise ProviderError(FailureKind.INVALID, "capture exceeds the authorization")
            # Partial captures (multicapture): the hold stays open until the final one closes it.
            charge.metadata = {**charge.metadata, CAPTURED: str(captured), CAPTURE_KEYS: [*keys, idempotency_key]}
            if final:
                charge.status = Status.CAPTURED
                charge.amount = captured
            charge.save(update_fields=["status", "amount", "metadata"])
            return _result(charge, "captured" if final else "authorized")

    def void(self, *, reference: str, idempotency_key: str) -> ProviderResult:
        with transaction.atomic():
            charge = self._locked(reference)
            if charge.status == Status.VOIDED:
                return _result(charge, "voided")
            captured = Decimal(charge.metadata.get(CAPTURED, "0"))
            if charge.status == Status.CAPTURED and charge.metadata.get(RELEASED):
                return _result(charge, "captured")  # the rest released before: a retry
            if charge.status != Status.AUTHORIZED:
                raise ProviderError(FailureKind.INVALID, f"cannot void a {charge.status} charge")
            if captured:
                # Partly captured: the rest of the hold is released; what was taken stays taken.
                charge.status = Status.CAPTURED
                charge.amount = captured
                charge.metadata = {**charge.metadata, RELEASED: "True"}
                charge.save(update_fields=["status", "amount", "metadata"])
                return _result(charge, "captured")
            charge.status = Status.VOIDED
            charge.save(update_fields=["status"])
            return _result(charge, "voided")

    def refund(self, *, reference: str, amount: Money, idempotency_key: str) -> ProviderResult:
        with transaction.atomic():
            charge = self._locked(reference)
            done = charge.metadata.get("refund_keys", [])
            if idempotency_key in done:
                return _result(charge, "refunded")
            if charge.status not in (Status.CAPTURED, Status.REFUNDED):
                raise ProviderError(FailureKind.INVALID, f"cannot refund a {charge.status} charge")
            refunded = Decimal(charge.amount_refunded) + amount.amount
            if amount.currency != charge.currency or refunded > charge.amount:
                raise ProviderError(FailureKind.INVALID, "refund exceeds the captured amount")
            charge.amount_refunded = refunded
            charge.metadata = {**charge.metadata, "refund_keys": [*done, idempotency_key]}
            if refunded == charge.amount:
                charge.status = Status.REFUNDED
            charge.save(update_fields=["amount_refunded", "metadata", "status"])
            return _result(charge, "refunded")

    def verify_webhook(self, *, payload: bytes, headers: dict) -> WebhookEvent:
        signature = _header(headers, SIGNATURE_HEADER)
        parts = dict(p.split("=", 1) for p in signature.split(",") if "=" in p)
        timestamp, given = parts.get("t", ""), parts.get("v1", "")
        if not timestamp.isdigit() or not given:
            raise DomainError(PaymentError.WEBHOOK_SIGNATURE, "Missing or malformed signature header.", "signature")
        expected = _sign(payload, timestamp)
        if not hmac.compare_digest(expected, given):
            raise DomainError(PaymentError.WEBHOOK_SIGNATURE, "The webhook signature does not match.", "signature")
        if abs(clock.now().timestamp() - int(timestamp)) > SIGNATURE_TOLERANCE_SECONDS:
            raise DomainError(PaymentError.WEBHOOK_SIGNATURE, "The webhook signature has expired.", "signature")
        try:
            body = json.loads(payload)
            data = body["data"]
            amount = Money(Decimal(str(data["amount"])), data["currency"]) if "amount" in data else None
            return WebhookEvent(
                event_id=str(body["id"]),
                kind=_EVENT_KINDS.get(body["type"], str(body["type"])),
                reference=str(data["reference"]),
                amount=amount,
                payload=body,
            )
        except (ValueError, KeyError, TypeError, ArithmeticError) as exc:
            raise DomainError(PaymentError.WEBHOOK_PAYLOAD, f"Not a test-gateway event: {exc}", "payload") from exc


def _sign(payload: bytes, timestamp: str) -> str:
    secret = settings.TEST_GATEWAY_WEBHOOK_SECRET.encode()
    return hmac.new(secret, timestamp.encode() + b"." + payload, hashlib.sha256).hexdigest()


def _header(headers: dict, name: str) -> str:
    wanted = name.lower()
    for key, value in headers.items():
        normal = key.lower().replace("_", "-")
        normal = normal.removeprefix("http-")
        if normal == wanted:
            return str(value)
    return ""


def webhook_headers(payload: bytes) -> dict:
    """The headers the test gateway sends with `payload`: a timestamped HMAC-SHA256 signature."""
    timestamp = str(int(clock.now().timestamp()))
    return {"X-Test-Gateway-Signature": f"t={timestamp},v1={_sign(payload, timestamp)}"}


def webhook_payload(*, event_id: str, kind: str, reference: str, amount: Money | None = None) -> bytes:
    """An event as the test gateway would post it; `kind` is e.g. 'charge.captured'."""
    data: dict = {"reference": reference}
    if amount is not None:
        data.update(amount=str(amount.amount), currency=amount.currency)
    return json.dumps({"id": event_id, "type": kind, "data": data}).encode()
