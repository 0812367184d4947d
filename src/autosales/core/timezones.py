"""The time zones people read dates in. Times are stored in UTC; they are shown in a reader's zone.

The shop's zone (`SHOP_TIME_ZONE`, which is Django's `TIME_ZONE`) is the default for every page, email
and command; an organization may have its own zone for its members and its emails. Which zone a given
person reads in is decided by `customers.selectors.time_zone_for_user`, and `customers.middleware.
TimeZoneMiddleware` activates it for each request (customers, not core, since the rule needs organizations),
so `|date` in every template shows local time. Emails carry the zone they are rendered in.
"""

from functools import cache
from zoneinfo import available_timezones

from django.conf import settings
from django.core.exceptions import ValidationError


@cache
def zone_names() -> frozenset[str]:
    """Every IANA zone name this machine knows, plus "UTC"."""
    return frozenset(available_timezones() | {"UTC"})


def is_zone_name(name: str) -> bool:
    return name in zone_names()


def zone_error(name: str) -> str:
    """The message for a zone name that is not one; callers attach it to their field or variable."""
    return f"Unknown time zone {name!r}: use an IANA name such as America/Chicago, Europe/Berlin or Pacific/Auckland."


def validate_zone_name(value: str) -> None:
    """A model and form validator: `value` is a zone name (blank is left to the field's `blank`)."""
    if value and not is_zone_name(value):
        raise ValidationError(zone_error(value), code="invalid_time_zone")


@cache
def zone_choices() -> list[tuple[str, str]]:
    """The zones a person picks from (Area/City names and UTC), sorted."""
    return [(name, name) for name in sorted(zone_names()) if "/" in name or name == "UTC"]


def shop_time_zone() -> str:
    """The shop's zone: what staff, visitors and organizations without a zone of their own read dates in."""
    return settings.TIME_ZONE


def time_zone_or_shop(name: str | None) -> str:
    """`name`, or the shop's zone when it is blank."""
    return name or shop_time_zone()
