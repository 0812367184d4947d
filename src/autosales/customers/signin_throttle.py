"""Slows down password guessing: too many failed sign-ins for one account, or from one address, within a window
lock sign-in until the oldest of them ages out.

Failures are rows in the database, so every web process and worker counts the same ones; times come from the
business clock, so tests and simulations can move past a lock. A successful sign-in forgets the account's
failures; the `customers.signin_failures_prune` job deletes rows older than the window.
"""

import datetime as dt
import hashlib

from django.conf import settings
from django.db.models import Count, Q

from autosales.core import clock
from autosales.core.errors import DomainError
from autosales.customers.errors import CustomerErrorCode
from autosales.customers.models import SignInFailure

WINDOW = dt.timedelta(seconds=getattr(settings, "SIGNIN_THROTTLE_WINDOW_SECONDS", 15 * 60))
MAX_FAILURES_PER_ACCOUNT = getattr(settings, "SIGNIN_THROTTLE_PER_ACCOUNT", 5)
MAX_FAILURES_PER_ADDRESS = getattr(settings, "SIGNIN_THROTTLE_PER_ADDRESS", 30)


class SignInThrottled(DomainError):
    status = 429


def _account_key(username: str) -> str:
    return hashlib.sha256(username.strip().lower().encode()).hexdigest()


def signin_throttle_check(*, username: str, ip: str) -> None:
    """Raises SignInThrottled when the account or the address has used up its failures in the window (one query)."""
    account_key = _account_key(username)
    recent = SignInFailure.objects.filter(created_at__gt=clock.now() - WINDOW)
    by_account = Q(account_key=account_key)
    by_address = Q(ip=ip) if ip else Q(pk__in=[])
    counts = recent.filter(by_account | by_address).aggregate(
        account=Count("id", filter=by_account), address=Count("id", filter=by_address)
    )
    if counts["account"] >= MAX_FAILURES_PER_ACCOUNT or counts["address"] >= MAX_FAILURES_PER_ADDRESS:
        minutes = max(1, int(WINDOW.total_seconds()) // 60)
        raise SignInThrottled(
            CustomerErrorCode.SIGNIN_THROTTLED,
            f"Too many failed sign-ins. Try again in up to {minutes} minutes, or reset your password.",
            "username",
        )


def signin_failure_record(*, username: str, ip: str) -> None:
    """One more failed sign-in counts against the account and the address."""
    SignInFailure.objects.create(account_key=_account_key(username), ip=ip or "")


def signin_success_record(*, username: str, ip: str) -> None:
    """A successful sign-in forgets the account's failures (the address keeps its count)."""
    SignInFailure.objects.filter(account_key=_account_key(username)).delete()


def signin_failures_prune() -> int:
    """Failures older than the window are deleted; returns how many."""
    deleted, _ = SignInFailure.objects.filter(created_at__lte=clock.now() - WINDOW).delete()
    return deleted
