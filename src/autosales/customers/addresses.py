"""Address validation shared by the address book, checkout and the API.

`address_clean` trims and normalizes the fields of an address and reports every field at fault at once;
`postal_code_clean` knows the postal code formats of the countries we ship to most, and a sane generic rule
for the others.
"""

import re
from collections.abc import Mapping

from django.core.exceptions import ValidationError
from django_countries import countries

from autosales.core.errors import DomainError
from autosales.customers.errors import CustomerErrorCode

# Countries whose addresses need a state, province or region to be delivered.
REGION_REQUIRED = {"US": "state", "CA": "province", "AU": "state"}

_FOUR_DIGITS = (r"\d{4}", "4 digits, e.g. 1010")
_FIVE_DIGITS = (r"\d{5}", "5 digits, e.g. 10115")

# (pattern on the upper-cased, trimmed code, what people are told when it does not match)
POSTAL_CODE_FORMATS: dict[str, tuple[str, str]] = {
    "US": (r"\d{5}(-\d{4})?", "5 digits or ZIP+4, e.g. 62701 or 62701-1234"),
    "CA": (
        r"[ABCEGHJ-NPRSTVXY]\d[ABCEGHJ-NPRSTV-Z] ?\d[ABCEGHJ-NPRSTV-Z]\d",
        "letter-digit-letter digit-letter-digit, e.g. K1A 0B1",
    ),
    "GB": (r"(GIR ?0AA|[A-Z]{1,2}\d[A-Z\d]? ?\d[A-Z]{2})", "a UK postcode, e.g. SW1A 1AA"),
    "DE": _FIVE_DIGITS,
    "FR": (r"\d{5}", "5 digits, e.g. 75008"),
    "NL": (r"[1-9]\d{3} ?(?!SA|SD|SS)[A-Z]{2}", "4 digits and 2 letters, e.g. 1012 AB"),
    "IT": (r"\d{5}", "5 digits, e.g. 00184"),
    "ES": (r"(0[1-9]|[1-4]\d|5[0-2])\d{3}", "5 digits, e.g. 28013"),
    "AT": _FOUR_DIGITS,
    "BE": _FOUR_DIGITS,
    "CH": _FOUR_DIGITS,
    "DK": _FOUR_DIGITS,
    "NO": _FOUR_DIGITS,
    "AU": (r"\d{4}", "4 digits, e.g. 2000"),
    "SE": (r"\d{3} ?\d{2}", "5 digits, e.g. 114 55"),
    "PL": (r"\d{2}-\d{3}", "2 digits, a hyphen and 3 digits, e.g. 00-950"),
    "JP": (r"\d{3}-?\d{4}", "7 digits, e.g. 100-0001"),
}
_GENERIC_POSTAL_CODE = r"[A-Z0-9](?:[A-Z0-9]|[ -](?=[A-Z0-9])){1,9}"

_PHONE_CHARACTERS = re.compile(r"^\+?[0-9 ().\-/]+$")

ADDRESS_FIELDS = ("label", "name", "company", "line1", "line2", "city", "region", "postal_code", "country", "phone")
REQUIRED_FIELDS = {"name": "recipient", "line1": "address line 1", "city": "city", "postal_code": "postal code"}
MAX_LENGTHS = {
    "label": 64,
    "name": 200,
    "company": 200,
    "line1": 200,
    "line2": 200,
    "city": 100,
    "region": 100,
    "postal_code": 20,
    "phone": 32,
}


class AddressInvalid(DomainError):
    """An address with one or more fields at fault; `errors` lists each of them."""

    def __init__(self, errors: list[DomainError]):
        first = errors[0]
        super().__init__(first.code, first.message, first.field)
        self.errors = errors


def postal_code_clean(*, country: str, postal_code: str) -> str:
    """The postal code in its usual written form for `country`; raises DomainError(field="postal_code")."""
    code = " ".join(str(postal_code).upper().split())
    if not code:
        raise DomainError(CustomerErrorCode.REQUIRED, "Enter the postal code.", "postal_code")
    pattern, example = POSTAL_CODE_FORMATS.get(country, (_GENERIC_POSTAL_CODE, ""))
    if not re.fullmatch(pattern, code):
        country_name = countries.name(country) or country
        hint = f"; expected {example}" if example else " (2 to 10 letters, digits, spaces or hyphens)"
        raise DomainError(
            CustomerErrorCode.POSTAL_CODE_INVALID,
            f"'{code}' is not a valid postal code for {country_name}{hint}.",
            "postal_code",
        )
    if country == "CA" or country == "GB":
        compact = code.replace(" ", "")
        code = f"{compact[:-3]} {compact[-3:]}"
    elif country == "NL":
        compact = code.replace(" ", "")
        code = f"{compact[:4]} {compact[4:]}"
    elif country == "SE":
        compact = code.replace(" ", "")
        code = f"{compact[:3]} {compact[3:]}"
    elif country == "JP" and "-" not in code:
        code = f"{code[:3]}-{code[3:]}"
    return code


def phone_clean(*, phone: str, field: str = "phone") -> str:
    """A phone number as typed, trimmed, with 6 to 15 digits and only phone punctuation; empty stays empty."""
    value = " ".join(str(phone or "").split())
    if not value:
        return ""
    digits = sum(ch.isdigit() for ch in value)
    if not _PHONE_CHARACTERS.fullmatch(value) or not 6 <= digits <= 15:
        raise DomainError(
            CustomerErrorCode.PHONE_INVALID,
            "Enter a phone number of 6 to 15 digits; it may start with + and use spaces, dots, dashes or brackets.",
            field,
        )
    if len(value) > MAX_LENGTHS["phone"]:
        raise DomainError(CustomerErrorCode.TOO_LONG, "The phone number is too long.", field)
    return value


def address_clean(*, fields: Mapping[str, object]) -> dict[str, str]:
    """Trimmed, normalized address fields ready to save; raises AddressInvalid naming every field at fault."""
    values = {name: " ".join(str(fields.get(name) or "").split()) for name in ADDRESS_FIELDS}
    errors: list[DomainError] = []

    for name, label in REQUIRED_FIELDS.items():
        if name != "postal_code" and not values[name]:
            errors.append(DomainError(CustomerErrorCode.REQUIRED, f"Enter the {label}.", name))
    for name, limit in MAX_LENGTHS.items():
        if len(values[name]) > limit:
            errors.append(DomainError(CustomerErrorCode.TOO_LONG, f"Use at most {limit} characters.", name))

    country = values["country"].upper()
    if not country:
        errors.append(DomainError(CustomerErrorCode.REQUIRED, "Choose the country.", "country"))
    elif country not in countries:
        errors.append(
            DomainError(CustomerErrorCode.COUNTRY_INVALID, f"'{country}' is not a known country code.", "country")
        )
    else:
        values["country"] = country
        try:
            values["postal_code"] = postal_code_clean(country=country, postal_code=values["postal_code"])
        except DomainError as exc:
            errors.append(exc)
        if country in REGION_REQUIRED and not values["region"]:
            errors.append(
                DomainError(CustomerErrorCode.REGION_REQUIRED, f"Enter the {REGION_REQUIRED[country]}.", "region")
            )
        if country in ("US", "CA") and values["region"]:
            values["region"] = values["region"].upper() if len(values["region"]) == 2 else values["region"]

    try:
        values["phone"] = phone_clean(phone=values["phone"])
    except DomainError as exc:
        errors.append(exc)

    if errors:
        errors.sort(key=lambda e: ADDRESS_FIELDS.index(e.field) if e.field in ADDRESS_FIELDS else len(ADDRESS_FIELDS))
        raise AddressInvalid(errors)
    return values


def as_validation_error(exc: DomainError) -> ValidationError:
    """A DomainError (or AddressInvalid) as the Django ValidationError a form's `add_error(None, ...)` accepts."""
    errors = getattr(exc, "errors", [exc])
    by_field: dict[str, list[str]] = {}
    for error in errors:
        by_field.setdefault(error.field or "__all__", []).append(error.message)
    return ValidationError(by_field)
