"""Per-request facts about the person: the API bearer token (so the API's auth in core needs no customer
models) and the time zone they read dates in."""

from functools import partial

from django.http import HttpRequest
from django.utils import timezone

from autosales.customers.selectors import time_zone_for_user
from autosales.customers.tokens import user_for_token


class BearerTokenMiddleware:
    """`Authorization: Bearer <token>` sets `request.bearer_user_lookup`, a function giving the token's user
    (None for an unknown or revoked token). The lookup runs only when the API asks for it, inside the API's
    error handling; requests without a bearer header are untouched."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest):
        header = request.headers.get("Authorization", "")
        if header[:7].lower() == "bearer ":
            request.bearer_user_lookup = partial(user_for_token, raw=header[7:].strip())
        return self.get_response(request)


class TimeZoneMiddleware:
    """Activates the reader's zone (`selectors.time_zone_for_user`) while the request is handled, so every
    template's `|date` and `{{ datetime }}` shows their local time; stored times stay UTC."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest):
        with timezone.override(time_zone_for_user(user=getattr(request, "user", None))):
            return self.get_response(request)
