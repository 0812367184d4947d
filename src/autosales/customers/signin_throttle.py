"""Slows down password guessing: too many failed sign-ins for one account, or from one address, lock sign-in for a while.

Counts live in Django's cache, in fixed windows read from the business clock (so tests and simulations can move
past a lock). A successful sign-in clears the account's count.
"""

import hashlib

from django.conf import settings
from django.core.cache import cache

from autosales.core import clock
from autosales.core.errors import DomainError
from autosales.customers.errors import CustomerErrorCode

WINDOW_SECONDS = getattr(settings, "SIGNIN_THROTTLE_WINDOW_SECONDS", 15 * 60)
MAX_FAILURES_PER_ACCOUNT = getattr(settings, "SIGNIN_THROTTLE_PER_ACCOUNT", 5)
MAX_FAILURES_PER_ADDRESS = getattr(settings, "SIGNIN_THROTTLE_PER_ADDRESS", 30)


class SignInThrottled(DomainError):
    status = 429


def _keys(*, username: str, ip: str) -> tuple[str, str]:
    window = int(clock.now().timestamp()) // WINDOW_SECONDS
    account = hashlib.sha256(username.strip().lower().encode()).hexdigest()[:32]
    return f"signin-fail:acct:{account}:{window}", f"signin-fail:ip:{ip}:{window}"


def signin_throttle_check(*, username: str, ip: str) -> None:
    """Raises SignInThrottled when the account or the address has used up its failures in this window."""
    account_key, address_key = _keys(username=username, ip=ip)
    counts = cache.get_many([account_key, address_key])
    if counts.get(account_key, 0) >= MAX_FAILURES_PER_ACCOUNT or counts.get(address_key, 0) >= MAX_FAILURES_PER_ADDRESS:
        minutes = max(1, WINDOW_SECONDS // 60)
        raise SignInThrottled(
            CustomerErrorCode.SIGNIN_THROTTLED,
            f"Too many failed sign-ins. Try again in up to {minutes} minutes, or reset your password.",
            "username",
        )


def signin_failure_record(*, username: str, ip: str) -> None:
    """One more failed sign-in counts against the account and the address in this window."""
    for key in _keys(username=username, ip=ip):
        # add() is a no-op when the key exists; incr() is atomic on every cache backend that matters.
        cache.add(key, 0, timeout=WINDOW_SECONDS * 2)
        try:
            cache.incr(key)
        except ValueError:  # expired between add and incr
            cache.set(key, 1, timeout=WINDOW_SECONDS * 2)


def signin_success_record(*, username: str, ip: str) -> None:
    """A successful sign-in forgets the account's failures (the address keeps its count)."""
    account_key, _ = _keys(username=username, ip=ip)
    cache.delete(account_key)
