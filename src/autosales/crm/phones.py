"""Phone numbers: checked and stored in E.164 (+13125550100) with `phonenumbers`, shown in international form.

A number written without a country code is read as one of the shop's country (CRM_PHONE_REGION, default US).
"""

import phonenumbers
from django.conf import settings

from autosales.core.errors import DomainError
from autosales.crm.errors import CrmErrorCode


def default_region() -> str:
    return getattr(settings, "CRM_PHONE_REGION", "US")


def phone_normalize(value: str, *, field: str) -> str:
    """`value` in E.164, "" for blank; raises DomainError naming `field` when it is not a possible number."""
    value = (value or "").strip()
    if not value:
        return ""
    try:
        number = phonenumbers.parse(value, default_region())
    except phonenumbers.NumberParseException:
        number = None
    if number is None or not phonenumbers.is_valid_number(number):
        raise DomainError(CrmErrorCode.PHONE_INVALID, f"{value!r} is not a valid phone number.", field)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def phone_display(value: str) -> str:
    """A stored number the way people read it (+1 312-555-0100); anything unreadable as it is."""
    if not value:
        return ""
    try:
        number = phonenumbers.parse(value, default_region())
    except phonenumbers.NumberParseException:
        return value
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)
