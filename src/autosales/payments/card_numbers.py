"""Card numbers must never be stored or logged: spot them where a gateway token is expected, and redact them.

A card number here is a run of 13 to 19 digits, written with or without single spaces or dashes between
them, whose Luhn check digit is right (every card scheme's numbers pass it; gateway tokens such as
`pm_1Nx…` or `tok_approve` do not look like one).
"""

import re

from autosales.core.errors import DomainError
from autosales.payments.errors import PaymentError

# Digits with at most one space or dash between two of them, not glued to more digits on either side.
_DIGIT_RUN = re.compile(r"(?<![0-9])[0-9](?:[ -]?[0-9]){12,18}(?![0-9])")
REDACTED = "[card number removed]"
REFUSAL = (
    "This looks like a card number. Never send a card number: enter the card in the payment form, "
    "which sends us only the payment service's token for it."
)


def _luhn_valid(digits: str) -> bool:
    total = 0
    for position, char in enumerate(reversed(digits)):
        value = int(char)
        if position % 2:
            value = value * 2 - 9 if value > 4 else value * 2
        total += value
    return total % 10 == 0


def _is_card_number(run: str) -> bool:
    digits = run.replace(" ", "").replace("-", "")
    return 13 <= len(digits) <= 19 and _luhn_valid(digits)


def contains_card_number(text: str) -> bool:
    """True when `text` holds something that looks like a card number."""
    return any(_is_card_number(match.group()) for match in _DIGIT_RUN.finditer(text or ""))


def card_numbers_redact(text: str) -> str:
    """`text` with every card-number-looking run replaced by a marker: what may be stored or logged."""
    if not text:
        return text
    return _DIGIT_RUN.sub(lambda m: REDACTED if _is_card_number(m.group()) else m.group(), text)


def card_number_refuse(*, value: str, field: str) -> None:
    """Raises DomainError(card_number_not_allowed) naming `field` when `value` looks like a card number."""
    if contains_card_number(value):
        raise DomainError(PaymentError.CARD_NUMBER_NOT_ALLOWED, REFUSAL, field)
