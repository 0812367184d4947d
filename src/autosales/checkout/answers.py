"""The first answer to an API checkout, kept with its attempt so that a replay gets it again.

An integrator that lost the answer sends the same request with the same Idempotency-Key: it must get the
same status code and body as the first time (Stripe's convention), whether it asks a second later, a week
later (the order shipped meanwhile, or the cart it ordered is empty) or at the same moment (a twin that
waited for the first request). The answer is looked up before anything else is read, and recorded in the
same statement that releases the attempt, so twins wait for it and checkout costs no extra round trip.
"""

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass

from autosales.checkout.errors import CheckoutError, IdempotencyKeyReused
from autosales.checkout.models import CheckoutAttempt
from autosales.core import clock
from autosales.customers.models import Organization


@dataclass(frozen=True)
class CheckoutAnswer:
    status: int
    body: dict
    # False for the request that made the answer, True for every replay of it.
    replayed: bool


def _canonical(body: dict) -> dict:
    """The body with every object's keys in one order, the order given back by a replay on any database (PostgreSQL's
    jsonb keeps its own key order), so that the first answer and its replays are the same bytes."""
    return json.loads(json.dumps(body, sort_keys=True, default=str))


def request_fingerprint(*, body: dict) -> str:
    """The hash of a request body as the client sent it (what "the same request" means for a replay)."""
    return hashlib.sha256(json.dumps(body, sort_keys=True, default=str).encode()).hexdigest()


def _reused() -> IdempotencyKeyReused:
    return IdempotencyKeyReused(
        CheckoutError.IDEMPOTENCY_KEY_REUSED,
        "This idempotency key was already used for a different order; send a new key for a new order.",
        "idempotency_key",
    )


def _answer(attempt: CheckoutAttempt, *, fingerprint: str) -> CheckoutAnswer:
    if attempt.response_request_hash != fingerprint:
        raise _reused()
    return CheckoutAnswer(status=attempt.response_status, body=_canonical(attempt.response_body), replayed=True)


class CheckoutAnswerer:
    """How the API answers the order it asks `place_order` for.

    `place_order` keeps the answer (`render(order)`, built from the objects in memory) on the attempt in the
    statement that finishes the checkout, so answering costs no write of its own; and when the key was answered
    already, it takes that answer (or refuses another body) before looking at the request again. `answer` is
    None when neither happened (the order was finished another way): keep it with `checkout_answer_record`.
    """

    def __init__(self, *, fingerprint: str, render: Callable[[object], dict], status: int = 201):
        self.fingerprint = fingerprint
        self.render = render
        self.status = status
        self.answer: CheckoutAnswer | None = None

    def fields(self, order) -> dict:
        """The attempt's columns that keep the answer for `order`."""
        body = _canonical(self.render(order))
        self.answer = CheckoutAnswer(status=self.status, body=body, replayed=False)
        return {"response_status": self.status, "response_body": body, "response_request_hash": self.fingerprint}

    def replay(self, attempt: CheckoutAttempt) -> bool:
        """True (and `answer` set) when the attempt holds an answer already; raises for another body's."""
        if attempt.response_status is None:
            return False
        self.answer = _answer(attempt, fingerprint=self.fingerprint)
        return True


def checkout_answer_find(*, organization: Organization | None, key: str, fingerprint: str) -> CheckoutAnswer | None:
    """The answer already given for this key, or None; raises IdempotencyKeyReused when it was for another body."""
    if organization is None:
        return None
    attempt = (
        CheckoutAttempt.objects.filter(organization=organization, idempotency_key=key, response_status__isnull=False)
        .only("response_status", "response_body", "response_request_hash")
        .first()
    )
    return _answer(attempt, fingerprint=fingerprint) if attempt is not None else None


def checkout_answer_record(
    *, organization: Organization, key: str, fingerprint: str, status: int, body: dict
) -> CheckoutAnswer:
    """Keeps this answer for the key and releases the attempt; a twin that answered first wins and its answer is returned."""
    body = _canonical(body)
    recorded = CheckoutAttempt.objects.filter(
        organization=organization, idempotency_key=key, response_status__isnull=True
    ).update(
        response_status=status,
        response_body=body,
        response_request_hash=fingerprint,
        claimed_until=None,
        updated_at=clock.now(),
    )
    if recorded:
        return CheckoutAnswer(status=status, body=body, replayed=False)
    attempt = CheckoutAttempt.objects.get(organization=organization, idempotency_key=key)
    return _answer(attempt, fingerprint=fingerprint)
