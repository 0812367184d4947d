"""Confirmation numbers: 10 random Crockford base32 characters, shown grouped as 7K2Q-9XMD-4T."""

from autosales.core import ids

LENGTH = 10
_GROUPS = (4, 4, 2)


def confirmation_number_new() -> str:
    """A fresh random number (50 bits: not guessable; uniqueness is enforced by the database)."""
    return ids.random_code(LENGTH)


def confirmation_number_display(number: str) -> str:
    """The number grouped for people to read: 7K2Q9XMD4T -> 7K2Q-9XMD-4T."""
    parts, start = [], 0
    for size in _GROUPS:
        if start < len(number):
            parts.append(number[start : start + size])
        start += size
    if start < len(number):
        parts.append(number[start:])
    return "-".join(parts)


def confirmation_number_normalize(text: str) -> str:
    """What a customer typed (any case, dashes, spaces, O for 0, I/L for 1) as a stored number."""
    cleaned = "".join(ch for ch in text.upper() if ch.isalnum())
    return cleaned.translate(str.maketrans({"O": "0", "I": "1", "L": "1"}))
