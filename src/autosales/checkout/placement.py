"""place_order: the one way a cart, an API call or a standing order becomes an order.

The flow (no database lock is held while the gateway is called):
1. claim the checkout attempt for (organization, idempotency key): a replay returns the first result,
   a different request under the same key is refused, a concurrent twin waits for the first;
2. in one short transaction: re-price (`quote`), lock stock rows in primary-key order, allocate, and
   create the order in `pending_payment` (an account order is checked against credit, with the
   organization row locked, and confirmed in this same transaction);
3. outside any transaction: authorize the card, with a gateway idempotency key derived from the checkout key;
4. in one transaction: re-check that the order is still pending, confirm it (-> placed), attach the payment,
   and write the confirmation email to the outbox (by the transition);
5. capture the card (-> paid); if that fails, the order stays placed and the capture job retries it.
A decline deletes the pending order and releases its stock: no order, no held stock, a clear error.
A payment taken for an order that could not be confirmed is voided and recorded.
"""

import hashlib
import json
import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta

from django.db import IntegrityError, transaction
from django.db.models import Q

from autosales.checkout.accounts import account_charge_check
from autosales.checkout.errors import CheckoutError, IdempotencyKeyReused, PriceChanged
from autosales.checkout.models import CheckoutAttempt
from autosales.checkout.pricing import LineRequest, lines_merge, quote
from autosales.core import clock
from autosales.core.errors import Conflict, DomainError
from autosales.core.money import Money
from autosales.customers.addresses import AddressInvalid, address_clean
from autosales.customers.models import Address, Organization
from autosales.inventory.services import stock_allocate
from autosales.orders.models import (
    Order,
    OrderAllocation,
    OrderEvent,
    OrderLine,
    OrderSource,
    OrderStatus,
    PaymentKind,
)
from autosales.orders.services import order_capture, order_stock_release
from autosales.orders.transitions import order_transition
from autosales.payments.card_numbers import card_number_refuse
from autosales.payments.errors import PaymentUnavailable
from autosales.payments.models import Payment, PaymentMethodOnFile
from autosales.payments.providers import provider_for
from autosales.payments.services import payment_authorize, payment_confirmed_for, payment_void
from autosales.pricing.shipping import ShippingMethod

__all__ = ["LineRequest", "PaymentRequest", "idempotency_key_clean", "place_order"]

log = logging.getLogger(__name__)

# How long a request may work on an attempt (mostly: waiting for the gateway) before another may take over.
LEASE = timedelta(seconds=60)
# How long a twin request waits for the first one before answering "still in progress".
WAIT_SECONDS = 15.0
MAX_KEY_LENGTH = 200
ADDRESS_FIELDS = ("name", "company", "line1", "line2", "city", "region", "postal_code", "country", "phone")


@dataclass(frozen=True)
class PaymentRequest:
    """How the customer pays: kind "card" with a gateway token, or kind "account".

    A card on file (`method`) is charged off-session, as the gateway's customer, while the customer is away
    (a standing order); `confirmed_payment` is a payment of that card the customer has since confirmed with
    their bank, used instead of a new charge when it still fits the order.
    """

    kind: str
    token: str = ""
    method: PaymentMethodOnFile | None = None
    confirmed_payment: str = ""

    @classmethod
    def on_file(cls, method: PaymentMethodOnFile, *, confirmed_payment: str = "") -> "PaymentRequest":
        return cls(
            kind=PaymentKind.CARD, token=method.method_reference, method=method, confirmed_payment=confirmed_payment
        )


def _address_fields(address: Address) -> dict[str, str]:
    raw = {name: getattr(address, name, "") for name in ADDRESS_FIELDS}
    raw["country"] = str(getattr(address.country, "code", address.country) or "")
    try:
        cleaned = address_clean(fields=raw)
    except AddressInvalid as exc:
        errors = [DomainError(e.code, e.message, f"shipping_address.{e.field}") for e in exc.errors]
        raise AddressInvalid(errors) from None
    return {name: cleaned.get(name, "") for name in ADDRESS_FIELDS}


def _request_hash(
    *,
    lines,
    address: dict,
    shipping_method: ShippingMethod,
    payment: PaymentRequest,
    source: str,
    reference: str,
    expected_total: Money | None,
) -> str:
    body = {
        "lines": sorted([line.variant_id, line.quantity] for line in lines),
        "address": address,
        "shipping_method": shipping_method.code,
        "payment": [payment.kind, payment.token],
        "source": source,
        "reference": reference,
    }
    if expected_total is not None:
        body["expected_total"] = [str(expected_total.amount), expected_total.currency]
    return hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()


def idempotency_key_clean(idempotency_key: str | None) -> str:
    """The key as stored (surrounding blanks dropped); raises DomainError naming `idempotency_key` when unusable."""
    key = (idempotency_key or "").strip()
    if not key or len(key) > MAX_KEY_LENGTH or not key.isprintable():
        raise DomainError(
            CheckoutError.IDEMPOTENCY_KEY_INVALID,
            f"An idempotency key of 1 to {MAX_KEY_LENGTH} printable characters is required.",
            "idempotency_key",
        )
    return key


def gateway_key(*, organization: Organization, idempotency_key: str) -> str:
    """The idempotency key sent to the gateway for this checkout: the same submission always sends the same one."""
    return f"checkout:{organization.public_id}:{idempotency_key}"


def place_order(
    *,
    organization: Organization,
    user,
    lines: Sequence[LineRequest],
    shipping_address: Address,
    shipping_method: ShippingMethod,
    payment: PaymentRequest,
    idempotency_key: str,
    source: str = OrderSource.WEB,
    standing_order_run=None,
    customer_reference: str = "",
    expected_total: Money | None = None,
    answered_by_caller: bool = False,
) -> Order:
    """Turns the request into exactly one order and at most one charge per idempotency key, or raises DomainError and holds nothing.

    The same key and request return the same order; the same key with a different request raises
    IdempotencyKeyReused (422); a twin request arriving while the first runs waits for it and returns its order.
    `expected_total`: the total the customer was shown; when the order would cost anything else it raises
    PriceChanged (409, with the new quote) before anything is held or charged, and the key stays free.
    `answered_by_caller`: the caller keeps its answer with `checkout.answers.checkout_answer_record`, which
    releases the attempt; until then twins wait, so that they can give that same answer.
    """
    if organization is None:
        raise DomainError(CheckoutError.NO_ORGANIZATION, "Sign in with a customer account to order.", "organization")
    key = idempotency_key_clean(idempotency_key)
    if payment.kind not in PaymentKind.values:
        raise DomainError(
            CheckoutError.PAYMENT_KIND_INVALID, "Choose to pay by card or charge to your account.", "payment"
        )
    if payment.kind == PaymentKind.CARD and not payment.token:
        raise DomainError(CheckoutError.CARD_TOKEN_REQUIRED, "Enter your card details.", "payment.token")
    # Before anything is written (the attempt, the payment row): a card number is never stored.
    card_number_refuse(value=payment.token, field="payment.token")
    if source not in OrderSource.values:
        raise ValueError(f"unknown order source {source!r}")
    if shipping_address.pk and shipping_address.organization_id != organization.pk:
        raise DomainError(CheckoutError.ADDRESS_NOT_YOURS, "Choose one of your own addresses.", "shipping_address")
    if shipping_method is None:
        raise DomainError(CheckoutError.SHIPPING_METHOD_UNAVAILABLE, "Choose a shipping method.", "shipping_method")
    merged = lines_merge(lines=lines)
    address = _address_fields(shipping_address)
    reference = " ".join((customer_reference or "").split())[:100]
    request_hash = _request_hash(
        lines=merged,
        address=address,
        shipping_method=shipping_method,
        payment=payment,
        source=source,
        reference=reference,
        expected_total=expected_total,
    )

    attempt = _attempt_claim(organization=organization, user=user, key=key, request_hash=request_hash)
    if attempt.status == CheckoutAttempt.Status.SUCCEEDED:
        return Order.objects.get(pk=attempt.order_id)
    answered = False
    try:
        order = attempt.order if attempt.order_id else None
        if order is None:
            order = _reserve(
                attempt=attempt,
                organization=organization,
                user=user,
                lines=merged,
                address=address,
                shipping_address=shipping_address,
                shipping_method=shipping_method,
                payment=payment,
                source=source,
                standing_order_run=standing_order_run,
                reference=reference,
                expected_total=expected_total,
            )
        if order.status == OrderStatus.PENDING_PAYMENT:
            order = _pay_and_confirm(attempt=attempt, order=order, user=user, payment=payment)
        answered = answered_by_caller
        return order
    finally:
        if not answered:
            # This request no longer works on the attempt: a retry may take it up at once.
            CheckoutAttempt.objects.filter(pk=attempt.pk).update(claimed_until=None)


def _attempt_claim(*, organization: Organization, user, key: str, request_hash: str) -> CheckoutAttempt:
    """The attempt for this key, claimed by this request, or finished (succeeded); raises for a failed or different one."""
    deadline = time.monotonic() + WAIT_SECONDS
    pause = 0.02
    while True:
        try:
            with transaction.atomic():
                return CheckoutAttempt.objects.create(
                    organization=organization,
                    user=user if getattr(user, "pk", None) else None,
                    idempotency_key=key,
                    request_hash=request_hash,
                    claimed_until=clock.now() + LEASE,
                )
        except IntegrityError:
            pass
        attempt = CheckoutAttempt.objects.filter(organization=organization, idempotency_key=key).first()
        if attempt is None:
            continue  # the other request gave the key back (its request was invalid); try again
        if attempt.request_hash != request_hash:
            raise IdempotencyKeyReused(
                CheckoutError.IDEMPOTENCY_KEY_REUSED,
                "This idempotency key was already used for a different order; send a new key for a new order.",
                "idempotency_key",
            )
        if attempt.status == CheckoutAttempt.Status.FAILED:
            raise DomainError(attempt.error_code, attempt.error_message, attempt.error_field or None)
        now = clock.now()
        if attempt.status == CheckoutAttempt.Status.SUCCEEDED:
            # Finished once the request that placed it lets go (after capturing, and answering its client).
            if attempt.claimed_until is None or attempt.claimed_until < now:
                return attempt
        elif CheckoutAttempt.objects.filter(
            Q(claimed_until__isnull=True) | Q(claimed_until__lt=now),
            pk=attempt.pk,
            status=CheckoutAttempt.Status.IN_PROGRESS,
        ).update(claimed_until=now + LEASE):
            attempt.refresh_from_db()
            return attempt
        if time.monotonic() > deadline:
            raise Conflict(
                CheckoutError.IN_PROGRESS,
                "This order is still being placed; check your orders in a moment before trying again.",
                "idempotency_key",
            )
        time.sleep(pause)
        pause = min(pause * 2, 0.25)


def _attempt_fail(*, attempt: CheckoutAttempt, error: DomainError) -> None:
    CheckoutAttempt.objects.filter(pk=attempt.pk).update(
        status=CheckoutAttempt.Status.FAILED,
        error_code=error.code,
        error_field=error.field or "",
        error_message=error.message,
        claimed_until=None,
        updated_at=clock.now(),
    )


def _reserve(
    *,
    attempt: CheckoutAttempt,
    organization: Organization,
    user,
    lines: list[LineRequest],
    address: dict,
    shipping_address: Address,
    shipping_method: ShippingMethod,
    payment: PaymentRequest,
    source: str,
    standing_order_run,
    reference: str,
    expected_total: Money | None,
) -> Order:
    """Step 2: prices, allocates and creates the pending order in one transaction (an account order is confirmed too).

    A refusal here (stock, credit, a bad line) gives the key back: nothing was charged, so the client may
    correct the request and send it again with the same key.
    """
    try:
        with transaction.atomic():
            if payment.kind == PaymentKind.ACCOUNT:
                # Locked first (before stock, always): two account orders cannot both fit under the limit.
                organization = Organization.objects.select_for_update().get(pk=organization.pk)
            priced = quote(
                organization=organization,
                lines=lines,
                shipping_method=shipping_method,
                shipping_address=shipping_address,
            )
            if expected_total is not None and priced.total != expected_total:
                raise PriceChanged(expected=expected_total, quote=priced)
            if payment.kind == PaymentKind.ACCOUNT:
                account_charge_check(organization=organization, total=priced.total)
            parts = stock_allocate(quantities=priced.quantities())
            order = Order.objects.create(
                organization=organization,
                placed_by=user if getattr(user, "pk", None) else None,
                source=source,
                payment_kind=payment.kind,
                currency=priced.currency,
                subtotal=priced.subtotal.amount,
                shipping=priced.shipping.amount,
                tax=priced.tax.amount,
                total=priced.total.amount,
                tax_name=priced.tax_name,
                **{f"ship_{name}": value for name, value in address.items()},
                shipping_method=shipping_method,
                shipping_method_code=shipping_method.code,
                shipping_method_name=shipping_method.name,
                customer_reference=reference,
                idempotency_key=attempt.idempotency_key,
                request_hash=attempt.request_hash,
                standing_order_run_id=getattr(standing_order_run, "pk", None),
            )
            order_lines = OrderLine.objects.bulk_create(
                [
                    OrderLine(
                        order=order,
                        variant_id=line.variant_id,
                        sku=line.sku,
                        name=line.name[:420],
                        quantity=line.quantity,
                        unit_price=line.unit_price.amount,
                        line_total=line.line_total.amount,
                    )
                    for line in priced.lines
                ]
            )
            if any(line.pk is None for line in order_lines):  # backends that do not return ids from bulk inserts
                order_lines = list(order.lines.all())
            line_by_variant = {line.variant_id: line for line in order_lines}
            OrderAllocation.objects.bulk_create(
                [
                    OrderAllocation(
                        line=line_by_variant[part.variant_id],
                        stock_level_id=part.stock_level_id,
                        quantity=part.quantity,
                    )
                    for part in parts
                ]
            )
            OrderEvent.objects.create(
                order=order,
                kind=OrderEvent.Kind.CREATED,
                actor=order.placed_by,
                at=clock.now(),
                data={"source": source, "payment_kind": payment.kind, "total": str(priced.total.amount)},
            )
            attempt.order = order
            CheckoutAttempt.objects.filter(pk=attempt.pk).update(order=order, updated_at=clock.now())
            if payment.kind == PaymentKind.ACCOUNT:
                order_transition(order=order, to=OrderStatus.ON_ACCOUNT, actor=user)
                CheckoutAttempt.objects.filter(pk=attempt.pk).update(status=CheckoutAttempt.Status.SUCCEEDED)
            return order
    except DomainError:
        CheckoutAttempt.objects.filter(pk=attempt.pk, order__isnull=True).delete()
        raise
    except IntegrityError:
        CheckoutAttempt.objects.filter(pk=attempt.pk, order__isnull=True).delete()
        if not Order.objects.filter(organization=organization, idempotency_key=attempt.idempotency_key).exists():
            raise
        # Its attempt was purged (checkout.retention), but the order it placed still holds the key.
        raise IdempotencyKeyReused(
            CheckoutError.IDEMPOTENCY_KEY_REUSED,
            "This idempotency key was already used for an order; send a new key for a new order.",
            "idempotency_key",
        ) from None


def _authorize(*, order: Order, payment: PaymentRequest, key: str) -> Payment:
    """The order's card authorization: a payment the customer already confirmed for it, or one charge per key."""
    if payment.confirmed_payment:
        confirmed = payment_confirmed_for(public_id=payment.confirmed_payment, amount=order.total_money)
        if confirmed is not None:
            return confirmed
    method = payment.method
    return payment_authorize(
        amount=order.total_money,
        token=payment.token,
        idempotency_key=key,
        provider=method.provider if method else provider_for().name,
        metadata={"order": order.number, "organization": order.organization.public_id},
        customer=method.customer_reference if method else "",
        off_session=method is not None,
    )


def _pay_and_confirm(*, attempt: CheckoutAttempt, order: Order, user, payment: PaymentRequest) -> Order:
    """Steps 3 to 5: authorize outside any lock, confirm under lock, then capture."""
    organization = order.organization
    key = gateway_key(organization=organization, idempotency_key=attempt.idempotency_key)
    try:
        paid = _authorize(order=order, payment=payment, key=key)
    except PaymentUnavailable:
        # The answer was lost: the order stays pending with its stock; a retry with the same key settles it,
        # and the expiry job gives the stock back if nobody retries.
        raise
    except DomainError as exc:
        with transaction.atomic():
            locked = Order.objects.select_for_update().filter(pk=order.pk, status=OrderStatus.PENDING_PAYMENT).first()
            if locked is not None:
                order_stock_release(order=locked, actor=user)
                locked.delete()
            _attempt_fail(attempt=attempt, error=exc)
        raise

    with transaction.atomic():
        locked = Order.objects.select_for_update().filter(pk=order.pk).first()
        confirmable = locked is not None and locked.status == OrderStatus.PENDING_PAYMENT
        if confirmable:
            Payment.objects.filter(pk=paid.pk).update(order=locked)
            OrderEvent.objects.create(
                order=locked,
                kind=OrderEvent.Kind.PAYMENT,
                actor=locked.placed_by,
                at=clock.now(),
                data={
                    "payment": paid.public_id,
                    "action": "authorized",
                    "amount": str(paid.amount),
                    "provider": paid.provider,
                },
            )
            order_transition(order=locked, to=OrderStatus.PLACED, actor=user)
            CheckoutAttempt.objects.filter(pk=attempt.pk).update(status=CheckoutAttempt.Status.SUCCEEDED)
        elif locked is not None and locked.status != OrderStatus.PENDING_PAYMENT:
            # Another request confirmed it meanwhile.
            return locked
    if not confirmable:
        # The pending order expired while the gateway answered: give the money back and say so.
        error = DomainError(
            CheckoutError.EXPIRED,
            "Your checkout took too long and its items were released; nothing was charged. Please check out again.",
            "payment",
        )
        try:
            payment_void(payment=paid)
        except DomainError:
            log.exception("checkout %s: could not void payment %s yet", attempt.pk, paid.public_id)
        _attempt_fail(attempt=attempt, error=error)
        raise error
    order = locked
    order_capture(order=order, payment=paid, actor=user)
    return order
