"""place_order: the one way a cart, an API call or a standing order becomes an order.

The flow (no database lock is held while the gateway is called; three transactions for a card order, one
for an account order):
1. in one short transaction: claim the checkout attempt for (organization, idempotency key), re-price
   (`quote`), lock stock rows in primary-key order, allocate, and create the order in `pending_payment`
   with the pending payment row that records the one gateway request this key will send (an account order
   is checked against credit, with the organization row locked, and confirmed in this same transaction).
   A key met before is not claimed again: a replay returns the first result, a different request under the
   same key is refused, a concurrent twin waits for the first;
2. outside any transaction: send the card payment, with a gateway idempotency key derived from the checkout
   key; a shop that captures at order (PAYMENT_CAPTURE_AT_ORDER) authorizes and captures in that one call;
3. in one transaction: confirm the order if it is still pending (-> placed, and -> paid for a captured
   sale), record the payment and the order's trail, write the confirmation email to the outbox (by the
   transition), finish the attempt and keep the caller's answer;
4. a shop that captures later: capture the card (-> paid); if that fails, the order stays placed and the
   capture job retries it. A shop that captures at shipment (PAYMENT_CAPTURE_AT_SHIPMENT) leaves the order
   placed with its card authorized: each shipment captures what it ships (fulfillment.capture).
A decline deletes the pending order and releases its stock: no order, no held stock, a clear error.
A payment taken for an order that could not be confirmed is given back (voided or refunded) and recorded.
"""

import datetime as dt
import logging
from collections.abc import Sequence
from dataclasses import dataclass

from django.conf import settings
from django.db import IntegrityError, transaction

from autosales.checkout.accounts import account_charge_check
from autosales.checkout.answers import CheckoutAnswerer
from autosales.checkout.attempts import (
    LEASE,
    KeyMet,
    attempt_claim,
    attempt_fail,
    attempt_order,
    attempt_payment,
    gateway_key,
)
from autosales.checkout.delivery import order_promise, requested_date_check
from autosales.checkout.errors import CheckoutError, IdempotencyKeyReused, PriceChanged
from autosales.checkout.models import CheckoutAttempt
from autosales.checkout.pricing import LineRequest, QuoteMemo, lines_merge, quote, tax_destination
from autosales.checkout.submission import (
    ADDRESS_FIELDS,
    MAX_KEY_LENGTH,
    PaymentRequest,
    address_fields,
    idempotency_key_clean,
)
from autosales.checkout.submission import request_hash as submission_hash
from autosales.core import clock
from autosales.core.errors import Conflict, DomainError
from autosales.core.money import Money
from autosales.customers.models import Address, Organization
from autosales.inventory.allocation import InsufficientStock, Shortage
from autosales.inventory.delivery_dates import shipping_calendars
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
from autosales.payments.models import Payment, PaymentStatus
from autosales.payments.providers import provider_for
from autosales.payments.services import (
    payment_confirmed_for,
    payment_prepare,
    payment_request_send,
    payment_result_record,
    payment_return,
)
from autosales.pricing.shipping import ShippingMethod

__all__ = [
    "ADDRESS_FIELDS",
    "LEASE",
    "MAX_KEY_LENGTH",
    "LineRequest",
    "PaymentRequest",
    "gateway_key",
    "idempotency_key_clean",
    "place_order",
]

log = logging.getLogger(__name__)


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
    answer: CheckoutAnswerer | None = None,
    memo: QuoteMemo | None = None,
    backorder: bool = False,
    backorder_where_allowed: bool = False,
    requested_delivery_date: dt.date | None = None,
    lease: dt.timedelta = LEASE,
) -> Order:
    """Turns the request into exactly one order and at most one charge per idempotency key, or raises DomainError and holds nothing.

    The same key and request return the same order; the same key with a different request raises
    IdempotencyKeyReused (422); a twin request arriving while the first runs waits for it and returns its order.
    `expected_total`: the total the customer was shown; when the order would cost anything else it raises
    PriceChanged (409, with the new quote) before anything is held or charged, and the key stays free.
    `answer`: the caller's answer, kept on the attempt as the checkout finishes (see `checkout.answers`); when it
    could not be kept there (`answer.answer` is None) the caller keeps it with `checkout_answer_record`, which
    releases the attempt; until then twins wait, so that they can give that same answer.
    `memo`: what the caller read for pricing in this request already (the lines' variants, say).
    `backorder`: units the warehouses do not have are ordered all the same, backordered on their lines (allocated
    when stock is received, see fulfillment.receiving), instead of refusing the order.
    `backorder_where_allowed`: the same, for the products that allow it (Product.allows_backorder) only; a
    shortage of any other product refuses the order (InsufficientStock) as without it (the web checkout's choice).
    `requested_delivery_date`: a later delivery date a business customer asked for (checkout.delivery).
    `lease`: how long this submission holds the key before a retry may take it over, should it stop half-way
    (checkout.attempts.LEASE; a worker passes its own shorter lease, so that its runs and its checkouts come free
    together).
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
    requested_date_check(organization=organization, requested=requested_delivery_date)
    merged = lines_merge(lines=lines)
    address = address_fields(shipping_address)
    reference = " ".join((customer_reference or "").split())[:100]
    request_hash = submission_hash(
        lines=merged,
        address=address,
        shipping_method=shipping_method,
        payment=payment,
        source=source,
        reference=reference,
        expected_total=expected_total,
        requested_delivery_date=requested_delivery_date,
    )
    memo = memo or QuoteMemo()
    if not organization.is_tax_exempt:
        # Before the transaction, so that the destination's tax rates are shared through the cache (`tax_rate_for`):
        # read inside it, they are read from the database each time.
        country, region = tax_destination(shipping_address)
        memo.tax_rate(country=country, region=region)
    reserve = {
        "organization": organization,
        "user": user,
        "key": key,
        "request_hash": request_hash,
        "lines": merged,
        "address": address,
        "shipping_address": shipping_address,
        "shipping_method": shipping_method,
        "payment": payment,
        "source": source,
        "standing_order_run": standing_order_run,
        "reference": reference,
        "expected_total": expected_total,
        "answer": answer,
        "memo": memo,
        "backorder": backorder,
        "backorder_where_allowed": backorder_where_allowed,
        "requested_delivery_date": requested_delivery_date,
        "lease": lease,
    }
    try:
        reserved = _reserve(**reserve)
    except KeyMet:
        attempt = attempt_claim(
            organization=organization, user=user, key=key, request_hash=request_hash, answer=answer, lease=lease
        )
        if attempt.status == CheckoutAttempt.Status.SUCCEEDED:
            return attempt.order if attempt.order_id else attempt_order(attempt)
        order = attempt.order if attempt.order_id else attempt_order(attempt)
        if order is None:
            # Claimed before its order was made by a request that stopped there: make it now.
            reserved = _reserve(**reserve, attempt=attempt)
        else:
            # Reserved by a request that stopped before confirming: its trail starts with this confirmation.
            created = [] if order.events.filter(kind=OrderEvent.Kind.CREATED).exists() else [_created_event(order)]
            reserved = _Reserved(attempt=attempt, order=order, payment=attempt_payment(attempt), events=created)
    attempt, order = reserved.attempt, reserved.order
    released = reserved.released
    try:
        if order.status == OrderStatus.PENDING_PAYMENT:
            order, released = _pay_and_confirm(reserved=reserved, user=user, payment=payment, answer=answer)
        if answer is not None and answer.answer is None:
            released = True  # by the caller, as it keeps its answer (`checkout_answer_record`)
        return order
    finally:
        if not released:
            # This request no longer works on the attempt: a retry may take it up at once.
            CheckoutAttempt.objects.filter(pk=attempt.pk).update(claimed_until=None)


@dataclass
class _Reserved:
    attempt: CheckoutAttempt
    order: Order
    payment: Payment | None
    # The order's trail not written yet: written with its confirmation, in that one insert.
    events: list[OrderEvent]
    # The attempt is finished and let go already (an account order).
    released: bool = False


def _reserve(
    *,
    organization: Organization,
    user,
    key: str,
    request_hash: str,
    lines: list[LineRequest],
    address: dict,
    shipping_address: Address,
    shipping_method: ShippingMethod,
    payment: PaymentRequest,
    source: str,
    standing_order_run,
    reference: str,
    expected_total: Money | None,
    answer: CheckoutAnswerer | None,
    memo: QuoteMemo | None,
    backorder: bool = False,
    backorder_where_allowed: bool = False,
    requested_delivery_date: dt.date | None,
    lease: dt.timedelta,
    attempt: CheckoutAttempt | None = None,
) -> _Reserved:
    """Step 1: claims the key, prices, allocates and creates the pending order in one transaction (an account order
    is confirmed too, and its attempt finished); raises KeyMet when the key has an attempt already.

    A refusal here (stock, credit, a bad line) rolls the claim back with the rest: nothing was charged, so the
    client may correct the request and send it again with the same key.
    """
    placed_by = user if getattr(user, "pk", None) else None
    taken_up = claimed = attempt is not None
    calendars = shipping_calendars()  # before the transaction: shared through the cache, no query when warm
    try:
        with transaction.atomic():
            if attempt is None:
                # The claim, first: a twin meets this row (its insert waits for this transaction, then fails).
                attempt = CheckoutAttempt.objects.create(
                    organization=organization,
                    user=placed_by,
                    idempotency_key=key,
                    request_hash=request_hash,
                    claimed_until=clock.now() + lease,
                )
                claimed = True
            if payment.kind == PaymentKind.ACCOUNT:
                # Locked first (before stock, always): two account orders cannot both fit under the limit.
                organization = Organization.objects.select_for_update(no_key=True).get(pk=organization.pk)
            priced = quote(
                organization=organization,
                lines=lines,
                shipping_method=shipping_method,
                shipping_address=shipping_address,
                memo=memo,
            )
            if expected_total is not None and priced.total != expected_total:
                raise PriceChanged(expected=expected_total, quote=priced)
            if payment.kind == PaymentKind.ACCOUNT:
                account_charge_check(organization=organization, total=priced.total)
            partial = backorder or backorder_where_allowed
            parts = stock_allocate(quantities=priced.quantities(), partial=partial)
            short = _backordered(quantities=priced.quantities(), parts=parts) if partial else {}
            if short and not backorder:
                _backorders_refuse_unless_allowed(priced=priced, short=short, memo=memo)
            promised = order_promise(
                calendars=calendars,
                parts=parts,
                shipping_method=shipping_method,
                moment=clock.now(),
                requested=requested_delivery_date,
            )
            order = Order.objects.create(
                organization=organization,
                placed_by=placed_by,
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
                idempotency_key=key,
                request_hash=request_hash,
                standing_order_run_id=getattr(standing_order_run, "pk", None),
                requested_delivery_date=requested_delivery_date,
                ships_on=promised.ships_on if promised else None,
                arrives_from=promised.arrives_from if promised else None,
                arrives_to=promised.arrives_to if promised else None,
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
                        quantity_backordered=short.get(line.variant_id, 0),
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
            _order_keep(order, lines=order_lines, events=[])
            events = [_created_event(order)]
            if short:
                events.append(_backordered_event(order, lines=order_lines))
            if payment.kind == PaymentKind.ACCOUNT:
                order_transition(order=order, to=OrderStatus.ON_ACCOUNT, actor=user, events=events)
                _order_keep(order, lines=order_lines, events=events)
                CheckoutAttempt.objects.filter(pk=attempt.pk).update(
                    status=CheckoutAttempt.Status.SUCCEEDED,
                    order=order,
                    claimed_until=None,
                    updated_at=clock.now(),
                    **(answer.fields(order) if answer is not None else {}),
                )
                return _Reserved(attempt=attempt, order=order, payment=None, events=[], released=True)
            return _Reserved(
                attempt=attempt,
                order=order,
                payment=_payment_reserve(order=order, payment=payment, key=key),
                events=events,
            )
    except DomainError:
        if taken_up:
            # Its row was not written here, so the rollback kept it: give the key back.
            CheckoutAttempt.objects.filter(pk=attempt.pk, order__isnull=True).delete()
        raise
    except IntegrityError:
        if taken_up:
            raise
        if not claimed:
            raise KeyMet() from None
        if CheckoutAttempt.objects.filter(organization=organization, idempotency_key=key).exists():
            raise KeyMet() from None
        gateway = gateway_key(organization=organization, idempotency_key=key)
        if not (
            Order.objects.filter(organization=organization, idempotency_key=key).exists()
            or Payment.objects.filter(idempotency_key=gateway).exists()
        ):
            raise
        # Its attempt was purged (checkout.retention), but the order or payment it made still holds the key.
        raise IdempotencyKeyReused(
            CheckoutError.IDEMPOTENCY_KEY_REUSED,
            "This idempotency key was already used for an order; send a new key for a new order.",
            "idempotency_key",
        ) from None


def _backorders_refuse_unless_allowed(*, priced, short: dict[int, int], memo: QuoteMemo | None) -> None:
    """Raises InsufficientStock (rolling the allocation back) for the short variants whose product may not be
    backordered."""
    variants = (memo or QuoteMemo()).variants(list(short))
    refused = [
        Shortage(
            variant_id=line.variant_id, sku=line.sku, requested=line.quantity, available=line.quantity - short[vid]
        )
        for line in priced.lines
        for vid in [line.variant_id]
        if vid in short and not (vid in variants and variants[vid].product.allows_backorder)
    ]
    if refused:
        raise InsufficientStock(refused)


def _backordered(*, quantities: dict[int, int], parts) -> dict[int, int]:
    """Units per variant the allocation could not cover (to backorder)."""
    allocated: dict[int, int] = {}
    for part in parts:
        allocated[part.variant_id] = allocated.get(part.variant_id, 0) + part.quantity
    return {vid: qty - allocated.get(vid, 0) for vid, qty in quantities.items() if qty > allocated.get(vid, 0)}


def _backordered_event(order: Order, *, lines: list[OrderLine]) -> OrderEvent:
    return OrderEvent(
        order=order,
        kind=OrderEvent.Kind.BACKORDERED,
        actor=order.placed_by,
        at=order.created_at,
        data={"lines": {line.sku: line.quantity_backordered for line in lines if line.quantity_backordered}},
    )


def _created_event(order: Order) -> OrderEvent:
    return OrderEvent(
        order=order,
        kind=OrderEvent.Kind.CREATED,
        actor=order.placed_by,
        at=order.created_at,
        data={"source": order.source, "payment_kind": order.payment_kind, "total": str(order.total)},
    )


def _payment_reserve(*, order: Order, payment: PaymentRequest, key: str) -> Payment:
    """The payment that will pay the order: one the customer already confirmed for it, or a pending one written
    here with the one request this key will send."""
    if payment.confirmed_payment:
        confirmed = payment_confirmed_for(public_id=payment.confirmed_payment, amount=order.total_money)
        if confirmed is not None:
            return confirmed
    method = payment.method
    return payment_prepare(
        amount=order.total_money,
        token=payment.token,
        idempotency_key=gateway_key(organization=order.organization, idempotency_key=key),
        provider=method.provider if method else provider_for().name,
        metadata={"order": order.number, "organization": order.organization.public_id},
        customer=method.customer_reference if method else "",
        off_session=method is not None,
        capture=settings.PAYMENT_CAPTURE_AT_ORDER and not settings.PAYMENT_CAPTURE_AT_SHIPMENT,
    )


def _order_keep(order: Order, *, lines: list[OrderLine], events: list[OrderEvent]) -> None:
    """The order's lines and trail as written, kept on it as prefetched rows so that answering reads nothing back."""
    order._prefetched_objects_cache = {}
    kept = {}
    for name, rows in (("lines", lines), ("events", events)):
        rows_of_order = getattr(order, name).all()
        rows_of_order._result_cache = list(rows)
        rows_of_order._prefetch_done = True
        kept[name] = rows_of_order
    order._prefetched_objects_cache = kept


def _pay_and_confirm(
    *, reserved: _Reserved, user, payment: PaymentRequest, answer: CheckoutAnswerer | None
) -> tuple[Order, bool]:
    """Steps 2 to 4: send the payment outside any transaction, confirm in one, then capture if still needed.

    Returns the order and whether the attempt is finished and released (its answer kept).
    """
    attempt, order = reserved.attempt, reserved.order
    paid = reserved.payment
    if paid is None:  # taken up from a request that stopped before writing it
        paid = _payment_prepare_again(order=order, payment=payment, key=attempt.idempotency_key)
    try:
        result = payment_request_send(payment=paid)
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
            attempt_fail(attempt=attempt, error=exc)
        raise

    now = clock.now()
    captured = result.status == "captured" if result is not None else paid.status == PaymentStatus.CAPTURED
    try:
        with transaction.atomic():
            actions = ["authorized", "captured"] if captured else ["authorized"]
            events = [
                *reserved.events,
                *(
                    OrderEvent(
                        order=order,
                        kind=OrderEvent.Kind.PAYMENT,
                        actor=order.placed_by,
                        at=now,
                        data={
                            "payment": paid.public_id,
                            "action": action,
                            "amount": str(paid.amount),
                            "provider": paid.provider,
                        },
                    )
                    for action in actions
                ),
            ]
            if captured:
                order_transition(order=order, to=OrderStatus.PAID, via=[OrderStatus.PLACED], actor=user, events=events)
            else:
                order_transition(order=order, to=OrderStatus.PLACED, actor=user, events=events)
            # After the order's guarded move, which holds its row: the payment is the order's now.
            if result is not None:
                payment_result_record(payment=paid, result=result, order=order)
            elif paid.order_id != order.pk:
                Payment.objects.filter(pk=paid.pk).update(order=order)
            _order_keep(order, lines=list(order.lines.all()), events=events)
            finish = {"status": CheckoutAttempt.Status.SUCCEEDED, "order": order, "updated_at": now}
            if captured:
                # Nothing is left to do: the attempt is released, with the caller's answer, in this statement.
                finish.update(claimed_until=None, **(answer.fields(order) if answer is not None else {}))
            CheckoutAttempt.objects.filter(pk=attempt.pk).update(**finish)
    except (Conflict, Order.DoesNotExist):
        current = Order.objects.filter(pk=order.pk).first()
        if current is not None and current.status != OrderStatus.PENDING_PAYMENT:
            return current, False  # another request confirmed it meanwhile
        # The pending order expired while the gateway answered: give the money back and say so.
        error = DomainError(
            CheckoutError.EXPIRED,
            "Your checkout took too long and its items were released; nothing was charged. Please check out again.",
            "payment",
        )
        if result is not None:
            paid = payment_result_record(payment=paid, result=result)
        try:
            payment_return(payment=paid)
        except DomainError:
            log.exception("checkout %s: could not give payment %s back yet", attempt.pk, paid.public_id)
        attempt_fail(attempt=attempt, error=error)
        raise error from None
    if captured:
        return order, True
    if not settings.PAYMENT_CAPTURE_AT_SHIPMENT:  # else each shipment captures what it ships (fulfillment)
        order_capture(order=order, payment=paid, actor=user)
    return order, False


def _payment_prepare_again(*, order: Order, payment: PaymentRequest, key: str) -> Payment:
    """The pending payment of an order reserved by a request that did not write one."""
    try:
        with transaction.atomic():
            return _payment_reserve(order=order, payment=payment, key=key)
    except IntegrityError:
        return Payment.objects.get(idempotency_key=gateway_key(organization=order.organization, idempotency_key=key))
