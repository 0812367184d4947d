"""API tokens: created once in plain text, stored only as a SHA-256 hash, looked up by prefix.

A token reads `as_<8 characters>_<secret>`; the `as_<8 characters>` part is the prefix people use to
tell tokens apart (`autosales token list`, `autosales token revoke PREFIX`).
"""

import datetime as dt
import hashlib
import hmac
import re
import secrets
from enum import StrEnum

from django.db import transaction
from django.db.models import QuerySet

from autosales.core import clock, ids
from autosales.core.errors import DomainError, NotFound
from autosales.customers.models import ApiToken, User

TOKEN_RE = re.compile(r"^(as_[0-9a-z]{8})_([A-Za-z0-9_-]{40,64})$")
NAME_MAX_LENGTH = ApiToken._meta.get_field("name").max_length
# Writing on every request would turn each API read into a write; once a minute is enough to see use.
LAST_USED_RESOLUTION = dt.timedelta(minutes=1)


class TokenErrorCode(StrEnum):
    NAME_INVALID = "token_name_invalid"
    NOT_FOUND = "token_not_found"
    USER_INACTIVE = "user_inactive"


def _hash(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def _new_prefix() -> str:
    return "as_" + ids.random_code(8).lower()


def token_create(*, user: User, name: str = "api") -> str:
    """Store a new token for `user` (only its hash) and return the plain text, which is never shown again."""
    name = (name or "").strip()
    if not name:
        raise DomainError(TokenErrorCode.NAME_INVALID, "Give the token a name.", field="name")
    if len(name) > NAME_MAX_LENGTH:
        raise DomainError(
            TokenErrorCode.NAME_INVALID, f"A token name has at most {NAME_MAX_LENGTH} characters.", field="name"
        )
    if not user.is_active:
        raise DomainError(TokenErrorCode.USER_INACTIVE, f"User {user.username!r} is not active.", field="user")
    with transaction.atomic():
        prefix = _new_prefix()
        while ApiToken.objects.filter(prefix=prefix).exists():
            prefix = _new_prefix()
        raw = f"{prefix}_{secrets.token_urlsafe(32)}"
        ApiToken.objects.create(user=user, name=name, prefix=prefix, key_hash=_hash(raw))
    return raw


def token_prefix(*, raw: str) -> str:
    """The public part of a token, by which people list and revoke it."""
    match = TOKEN_RE.match(raw)
    if match is None:
        raise DomainError(TokenErrorCode.NOT_FOUND, "Not an API token.", field="token")
    return match.group(1)


def token_revoke(*, token_id: int) -> ApiToken:
    """Refuse the token from now on; revoking twice keeps the first revocation time."""
    with transaction.atomic():
        token = ApiToken.objects.select_for_update().filter(pk=token_id).first()
        if token is None:
            raise NotFound(TokenErrorCode.NOT_FOUND, "No such API token.", field="token")
        if token.revoked_at is None:
            token.revoked_at = clock.now()
            token.save(update_fields=["revoked_at"])
    return token


def user_for_token(*, raw: str) -> User | None:
    """The active user whose unrevoked token `raw` is, or None; notes the use at most once a minute."""
    match = TOKEN_RE.match(raw or "")
    if match is None:
        return None
    digest = _hash(raw)
    found = None
    for token in ApiToken.objects.select_related("user").filter(prefix=match.group(1)):
        # Compare every candidate in constant time, so timing tells nothing about the hash.
        if hmac.compare_digest(token.key_hash, digest):
            found = token
    if found is None or found.revoked_at is not None or not found.user.is_active:
        return None
    now = clock.now()
    if found.last_used_at is None or now - found.last_used_at >= LAST_USED_RESOLUTION:
        # A conditional UPDATE, so concurrent requests write at most once per minute between them.
        ApiToken.objects.filter(pk=found.pk).exclude(last_used_at__gt=now - LAST_USED_RESOLUTION).update(
            last_used_at=now
        )
    return found.user


def tokens_for_user(*, user: User) -> QuerySet[ApiToken]:
    """The user's tokens, newest first, revoked ones included."""
    return ApiToken.objects.filter(user=user).order_by("-created_at", "-id")


def token_by_prefix(*, prefix: str, user: User | None = None) -> ApiToken:
    """The token with this prefix (limited to `user`'s when given); raises NotFound."""
    tokens = ApiToken.objects.select_related("user").filter(prefix=prefix.strip().lower())
    if user is not None:
        tokens = tokens.filter(user=user)
    token = tokens.first()
    if token is None:
        raise NotFound(TokenErrorCode.NOT_FOUND, f"No API token with prefix {prefix!r}.", field="prefix")
    return token
