"""When a try of a standing-order run goes wrong: retry later (and when), a dunning step, or final.

The one policy for placement and dunning, by error code:

- Passing problems, retried for `PASSING_PROBLEMS_FOR` from the first of a spell, then final:
  - `payment_network_error` (the gateway's answer was lost): the same try (same key and request) after a third
    of `CHECKOUT_PENDING_TTL_MINUTES`, so it settles the pending checkout before the expiry job releases it;
  - `checkout_in_progress` (another worker still works on the checkout): the same try after twice its lease;
  - `checkout_expired` (the pending checkout was released, its authorization voided): a new try after a minute;
  - `idempotency_key_reused` (the key's first request differs): a new try once the old checkout has been
    confirmed or expired.
- Payment refused (declined, insufficient funds, a bad token, no card, an account without terms, on hold or over
  its limit): a new try on the dunning schedule, 1, 3 and 5 days after the due date, then final.
- `insufficient_stock`: a new try daily while within the standing order's retry days, then final.
- Anything else (an item no longer sold, no price, no shipping method, a bad address, ...): final.

A new try gets a new checkout key: the old try's attempt has ended (declined, expired, refused), so nothing of
it can still be charged; a same try re-sends the old key and request, so it cannot charge twice.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum

from django.conf import settings

from autosales.checkout.errors import CheckoutError
from autosales.checkout.placement import LEASE as CHECKOUT_LEASE
from autosales.inventory.allocation import INSUFFICIENT_STOCK
from autosales.payments.errors import PaymentError
from autosales.recurring.models import Run

# A declined card or an account on hold is tried again this many days after the due date, then the run fails.
DUNNING_DAYS = (1, 3, 5)
# Passing problems are retried this long from the first of a spell; then the run fails and the customer is told.
PASSING_PROBLEMS_FOR = dt.timedelta(days=1)
# An unexpected error (a bug, the database gone) leaves the run as it was, to be tried again after this.
UNEXPECTED_RETRY = dt.timedelta(minutes=15)

PAYMENT_REFUSALS = frozenset(
    {
        PaymentError.DECLINED,
        PaymentError.INSUFFICIENT_FUNDS,
        PaymentError.INVALID_TOKEN,
        PaymentError.AUTHENTICATION_REQUIRED,  # the customer is asked to confirm; the dunning tries go on
        CheckoutError.CARD_TOKEN_REQUIRED,
        CheckoutError.ACCOUNT_NO_TERMS,
        CheckoutError.ACCOUNT_CREDIT_HOLD,
        CheckoutError.ACCOUNT_CREDIT_LIMIT,
    }
)


def run_checkout_lease() -> dt.timedelta:
    """How long a run's checkout holds its key: checkout's lease, or the workers' (JOBS_LEASE_SECONDS) when that is
    shorter, so that the checkout of a worker that died comes free with its runs, not a whole checkout lease later."""
    return min(CHECKOUT_LEASE, dt.timedelta(seconds=settings.JOBS_LEASE_SECONDS))


def _checkout_ttl() -> dt.timedelta:
    return dt.timedelta(minutes=settings.CHECKOUT_PENDING_TTL_MINUTES)


def lost_answer_retry() -> dt.timedelta:
    """Soon enough that two retries of a lost answer fit before checkout's expiry job releases the order."""
    return _checkout_ttl() / 3


def _passing(code: str) -> tuple[dt.timedelta, bool] | None:
    """For a passing problem: how long until the retry, and whether it is the same try; None for any other code."""
    if code == PaymentError.NETWORK:
        return lost_answer_retry(), True
    if code == CheckoutError.IN_PROGRESS:
        return 2 * run_checkout_lease(), True
    if code == CheckoutError.EXPIRED:
        return dt.timedelta(minutes=1), False
    if code == CheckoutError.IDEMPOTENCY_KEY_REUSED:
        # After the old key's checkout has been confirmed (its order is then found) or expired and voided.
        return _checkout_ttl() + 2 * run_checkout_lease(), False
    return None


class Outcome(StrEnum):
    RETRY = "retry"  # a passing problem: try again soon, nobody needs to do anything
    OUT_OF_STOCK = "out_of_stock"  # wait for stock, tried again daily
    DUNNING = "dunning"  # the payment was refused: the customer is told, tried again on the dunning schedule
    FINAL = "final"  # the run fails; the standing order goes on with its next date


@dataclass(frozen=True)
class Decision:
    outcome: Outcome
    retry_at: dt.datetime | None  # None when final
    same_try: bool  # the retry re-sends the same key and request (the checkout may still hold an order)
    counts: bool  # a definitive failure: moves the dunning schedule on

    @property
    def final(self) -> bool:
        return self.outcome == Outcome.FINAL


def run_retry_decision(*, run: Run, code: str, now: dt.datetime) -> Decision:
    """What a run does after its try failed with `code`: retry after X, the next dunning step, or fail."""
    if passing := _passing(code):
        delay, same_try = passing
        if now - (run.retrying_since or now) < PASSING_PROBLEMS_FOR:
            return Decision(Outcome.RETRY, now + delay, same_try=same_try, counts=False)
        return Decision(Outcome.FINAL, None, same_try=False, counts=True)
    if code in PAYMENT_REFUSALS:
        failures = run.failures + 1
        if failures <= len(DUNNING_DAYS):
            retry_at = max(run.due_at + dt.timedelta(days=DUNNING_DAYS[failures - 1]), now)
            return Decision(Outcome.DUNNING, retry_at, same_try=False, counts=True)
        return Decision(Outcome.FINAL, None, same_try=False, counts=True)
    if code == INSUFFICIENT_STOCK:
        next_try = now + dt.timedelta(days=1)
        if next_try <= run.due_at + dt.timedelta(days=run.standing_order.stock_retry_days):
            return Decision(Outcome.OUT_OF_STOCK, next_try, same_try=False, counts=False)
        return Decision(Outcome.FINAL, None, same_try=False, counts=True)
    return Decision(Outcome.FINAL, None, same_try=False, counts=True)
