"""Who is calling: a bearer token, a signed-in session (CSRF-checked on unsafe methods), or nobody.

Every operation gets `request.auth` (and `request.user`) set to the caller: a User, or an
AnonymousUser on the operations that allow anonymous callers (`auth=PUBLIC`).
"""

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.http import HttpRequest
from django.middleware.csrf import CsrfViewMiddleware
from ninja.errors import AuthenticationError
from ninja.security import APIKeyCookie, HttpBearer

from autosales.core.http.errors import CsrfFailed


class InvalidToken(AuthenticationError):
    """A bearer token was sent but is unknown, revoked, or its user is inactive."""

    def __init__(self) -> None:
        super().__init__(401, "The bearer token is not valid: it is unknown, revoked, or its user is inactive.")


class BearerTokenAuth(HttpBearer):
    """`Authorization: Bearer <token>`; a token that is sent but not valid is refused, never ignored."""

    def __call__(self, request: HttpRequest):
        header = request.headers.get(self.header)
        if header and not header.lower().startswith("bearer "):
            return None
        return super().__call__(request)

    def authenticate(self, request: HttpRequest, token: str):
        lookup = getattr(request, "bearer_user_lookup", None)  # set by customers.middleware.BearerTokenMiddleware
        user = lookup() if lookup is not None else None
        if user is None:
            raise InvalidToken()
        request.user = user
        return user


class _CsrfCheck(CsrfViewMiddleware):
    """Django's own CSRF check, raising with its reason (e.g. "CSRF cookie not set.") instead of a 403 page."""

    def _reject(self, request, reason):
        raise CsrfFailed(reason)


def _checked_view(request):  # the check looks at a view's csrf_exempt flag; it never calls the view
    return None


class SessionAuth(APIKeyCookie):
    """The Django session cookie of a signed-in user; POST, PUT, PATCH and DELETE also need the CSRF token."""

    param_name = settings.SESSION_COOKIE_NAME

    def __init__(self) -> None:
        super().__init__(csrf=False)  # checked below, only for signed-in sessions

    def authenticate(self, request: HttpRequest, key: str | None):
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return None
        if not getattr(request, "_ninja_csrf_exempt", False):
            request.csrf_processing_done = False
            check = _CsrfCheck(lambda r: None)
            check.process_request(request)
            check.process_view(request, _checked_view, (), {})
        return user


class Anonymous:
    """Lets anonymous callers through as AnonymousUser; tried last, after the token and the session."""

    def __call__(self, request: HttpRequest):
        return AnonymousUser()


bearer_auth = BearerTokenAuth()
session_auth = SessionAuth()

# Every operation needs a signed-in caller unless it says otherwise.
SIGNED_IN = [bearer_auth, session_auth]
# Operations open to everyone; a bad bearer token is still refused rather than read as anonymous.
PUBLIC = [bearer_auth, session_auth, Anonymous()]
