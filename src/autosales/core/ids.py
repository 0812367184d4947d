"""Identifiers that customers see: short, unambiguous, not guessable."""

import secrets

# Crockford's base32: no I, L, O or U, so a number read over the phone is not misheard.
ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def random_code(length: int = 10) -> str:
    """`length` characters of base32, 5 random bits each (10 characters: 2**50 possibilities)."""
    # The low 5 bits of a random byte are uniform over the 32 characters: one read of the system's randomness for
    # the whole code, instead of one per character.
    return "".join([ALPHABET[byte & 31] for byte in secrets.token_bytes(length)])


def public_id() -> str:
    """The id used in customer-facing URLs in place of a sequential primary key."""
    return random_code(16).lower()


def token(nbytes: int = 32) -> str:
    return secrets.token_urlsafe(nbytes)
