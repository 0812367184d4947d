"""The one source of time for business code.

Tests and `autosales simulate` move it; everything else reads it. Stored times are UTC.
"""

import datetime as dt
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from zoneinfo import ZoneInfo

from django.utils import timezone

_state = threading.local()
_global_offset = dt.timedelta(0)
_global_frozen: dt.datetime | None = None


def now() -> dt.datetime:
    """The current moment, timezone-aware UTC."""
    frozen = getattr(_state, "frozen", None) or _global_frozen
    if frozen is not None:
        return frozen
    return timezone.now() + _global_offset


def today(tz: str | ZoneInfo | None = None) -> dt.date:
    """Today's date in `tz` (a zone name or ZoneInfo); UTC when not given."""
    moment = now()
    if tz is not None:
        moment = moment.astimezone(ZoneInfo(tz) if isinstance(tz, str) else tz)
    return moment.date()


def set_now(moment: dt.datetime | None) -> None:
    """Freeze the clock for the whole process at `moment` (None unfreezes); used by `simulate`."""
    global _global_frozen
    if moment is not None and timezone.is_naive(moment):
        raise ValueError("the clock needs an aware datetime")
    _global_frozen = moment


@contextmanager
def frozen_at(moment: dt.datetime) -> Iterator[None]:
    """Freeze the clock at `moment` for this thread while the block runs."""
    if timezone.is_naive(moment):
        raise ValueError("the clock needs an aware datetime")
    previous = getattr(_state, "frozen", None)
    _state.frozen = moment
    try:
        yield
    finally:
        _state.frozen = previous


def advance(delta: dt.timedelta) -> None:
    """Move the clock forward: the frozen moment if frozen, else the running offset."""
    global _global_frozen, _global_offset
    if getattr(_state, "frozen", None) is not None:
        _state.frozen = _state.frozen + delta
    elif _global_frozen is not None:
        _global_frozen = _global_frozen + delta
    else:
        _global_offset += delta


def reset() -> None:
    """Back to real time."""
    global _global_frozen, _global_offset
    _global_frozen = None
    _global_offset = dt.timedelta(0)
    _state.frozen = None
