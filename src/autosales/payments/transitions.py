"""The payment state machine: the one place a payment's status changes."""

from autosales.core import clock
from autosales.core.errors import Conflict
from autosales.payments.errors import PaymentError
from autosales.payments.models import Payment, PaymentStatus

S = PaymentStatus

ALLOWED: dict[str, frozenset[str]] = {
    S.PENDING: frozenset({S.ACTION_REQUIRED, S.AUTHORIZED, S.CAPTURED, S.FAILED, S.VOIDED}),
    S.ACTION_REQUIRED: frozenset({S.AUTHORIZED, S.CAPTURED, S.FAILED, S.VOIDED}),
    S.AUTHORIZED: frozenset({S.CAPTURED, S.VOIDED}),
    S.CAPTURED: frozenset({S.REFUNDED}),
    S.VOIDED: frozenset(),
    S.REFUNDED: frozenset(),
    S.FAILED: frozenset(),
}


def payment_can_move(*, payment: Payment, to: str) -> bool:
    return to in ALLOWED[payment.status]


# For each status, the statuses a payment may come from to reach it.
SOURCES: dict[str, frozenset[str]] = {to: frozenset(s for s, moves in ALLOWED.items() if to in moves) for to in ALLOWED}


def payment_transition(*, payment: Payment, to: str, **fields) -> Payment:
    """Moves the payment to `to` (with `fields` such as provider_reference) if the table allows it, else raises.

    One guarded UPDATE: it locks the row and re-checks the stored status in the same statement, so two moves
    racing each other cannot both happen, and it costs no transaction or savepoint of its own.
    """
    now = clock.now()
    moved = Payment.objects.filter(pk=payment.pk, status__in=SOURCES[to]).update(status=to, updated_at=now, **fields)
    if not moved:
        current = Payment.objects.filter(pk=payment.pk).values_list("status", flat=True).first()
        label = PaymentStatus(current).label.lower() if current else "deleted"
        raise Conflict(
            PaymentError.ILLEGAL_TRANSITION,
            f"A {label} payment cannot become {PaymentStatus(to).label.lower()}.",
            "status",
        )
    for name, value in fields.items():
        setattr(payment, name, value)
    payment.status = to
    payment.updated_at = now
    return payment
