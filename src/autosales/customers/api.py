"""Router `tokens`: the caller's own API tokens (create from a signed-in session, list, revoke)."""

import datetime as dt

from ninja import Field, Router, Schema
from ninja.responses import Status

from autosales.core.http.auth import SIGNED_IN, session_auth
from autosales.core.http.errors import error_responses
from autosales.customers.models import ApiToken
from autosales.customers.tokens import (
    NAME_MAX_LENGTH,
    token_by_prefix,
    token_create,
    token_prefix,
    token_revoke,
    tokens_for_user,
)

router = Router(tags=["tokens"])


class TokenIn(Schema):
    name: str = Field("api", min_length=1, max_length=NAME_MAX_LENGTH, description="What the token is for.")


class TokenOut(Schema):
    prefix: str
    name: str
    created_at: dt.datetime
    last_used_at: dt.datetime | None
    revoked_at: dt.datetime | None


class TokenCreatedOut(TokenOut):
    token: str = Field(description="The token itself. It is shown only in this response: keep it safe.")


def _out(token: ApiToken) -> dict:
    return {
        "prefix": token.prefix,
        "name": token.name,
        "created_at": token.created_at,
        "last_used_at": token.last_used_at,
        "revoked_at": token.revoked_at,
    }


@router.get("", response={200: list[TokenOut], **error_responses(401)}, auth=SIGNED_IN)
def tokens_list(request):
    """The caller's tokens, newest first, revoked ones included."""
    return [_out(t) for t in tokens_for_user(user=request.auth)]


# Only a person signed in to the site mints tokens: a leaked token must not be able to breed new ones.
@router.post("", response={201: TokenCreatedOut, **error_responses(400, 401, 403, 422)}, auth=[session_auth])
def tokens_create(request, payload: TokenIn):
    """Create a token for the signed-in caller; the response is the only time it is shown."""
    raw = token_create(user=request.auth, name=payload.name)
    token = token_by_prefix(prefix=token_prefix(raw=raw), user=request.auth)
    return Status(201, {**_out(token), "token": raw})


@router.delete("/{prefix}", response={200: TokenOut, **error_responses(401, 403, 404)}, auth=SIGNED_IN)
def tokens_revoke(request, prefix: str):
    """Revoke one of the caller's tokens; it is refused from then on."""
    token = token_by_prefix(prefix=prefix, user=request.auth)
    return _out(token_revoke(token_id=token.id))
