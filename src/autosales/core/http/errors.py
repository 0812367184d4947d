"""One JSON shape for every API error: a code, a message, and the fields at fault.

{"code": "validation_error", "message": "...", "errors": [{"field": "quantity", "code": "...", "message": "..."}]}
"""

import json
import logging
from functools import wraps

from django.conf import settings
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.db import OperationalError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from ninja import NinjaAPI, Schema
from ninja.errors import AuthenticationError, AuthorizationError, HttpError, Throttled, ValidationError
from ninja.parser import Parser

from autosales.core.errors import NUL, NUL_REASON, DomainError

logger = logging.getLogger(__name__)


class ErrorItemOut(Schema):
    field: str
    code: str
    message: str


class ErrorOut(Schema):
    code: str
    message: str
    errors: list[ErrorItemOut]


# PostgreSQL's answers for a transaction it rolled back and that may simply be tried again: a deadlock, a
# serialization conflict, a lock not available.
RETRYABLE_SQLSTATES = frozenset({"40P01", "40001", "55P03"})


def _sqlstate(exc: BaseException) -> str | None:
    return getattr(exc.__cause__, "sqlstate", None)


def error_responses(*statuses: int) -> dict[int, type[ErrorOut]]:
    """`response={200: ThingOut, **error_responses(401, 404)}` documents those errors in the OpenAPI document."""
    return dict.fromkeys(statuses, ErrorOut)


def error_body(code: str, message: str, errors: list[dict] | None = None) -> dict:
    return {"code": code, "message": message, "errors": errors or []}


# Deeper than any body of this API; the parser refuses more before anything walks it.
MAX_BODY_DEPTH = 32


def field_error(status_code: str, field: str, code: str, reason: str) -> dict:
    """The error shape for one field at fault."""
    return error_body(status_code, f"{field}: {reason}", [{"field": field, "code": code, "message": reason}])


def nul_error(field: str) -> dict:
    return field_error("validation_error", field, "nul_character", NUL_REASON)


def body_too_large() -> dict:
    reason = f"the body is larger than {settings.DATA_UPLOAD_MAX_MEMORY_SIZE} bytes"
    return field_error("body_too_large", "body", "too_large", reason)


class CsrfFailed(HttpError):
    """A signed-in session sent an unsafe request without a valid CSRF token."""

    def __init__(self, reason: str) -> None:
        super().__init__(
            403, f"CSRF check failed: {reason.rstrip('.')}. Send the csrftoken cookie's value as 'X-CSRFToken'."
        )


class MalformedBody(ValueError):
    """The request body is not JSON that can be read; `code` says why (malformed_json, too_deep)."""

    def __init__(self, reason: str, code: str = "malformed_json"):
        super().__init__(reason)
        self.code = code


class BodyNotObject(ValueError):
    """The request body is JSON, but not an object."""


class NotJson(ValueError):
    """The request body is declared as something other than JSON."""


class NulInBody(ValueError):
    """A string (or key) in the JSON body holds a NUL character; `field` is its path, e.g. `lines.0.sku`."""

    def __init__(self, field: str):
        super().__init__(NUL_REASON)
        self.field = field


def _is_json(content_type: str) -> bool:
    return content_type == "application/json" or (
        content_type.startswith("application/") and content_type.endswith("+json")
    )


def _check_values(data: dict) -> None:
    """Refuses nesting past MAX_BODY_DEPTH and NUL characters, naming the first field at fault."""
    pending: list[tuple[object, tuple, int]] = [(data, (), 1)]
    while pending:
        value, where, depth = pending.pop()
        if depth > MAX_BODY_DEPTH:
            raise MalformedBody(f"nested deeper than {MAX_BODY_DEPTH} levels", code="too_deep")
        if isinstance(value, dict):
            for key, item in value.items():
                if NUL in key:
                    raise NulInBody(".".join(map(str, where)) or "body")
                pending.append((item, (*where, key), depth + 1))
        elif isinstance(value, list):
            pending.extend((item, (*where, index), depth + 1) for index, item in enumerate(value))
        elif isinstance(value, str) and NUL in value:
            raise NulInBody(".".join(map(str, where)))


class JsonBodyParser(Parser):
    """Reads JSON bodies; says where the JSON breaks instead of a bare 'cannot parse'.

    Every request body of this API is a JSON object (lists travel inside it, e.g. {"lines": [...]}):
    anything else is refused here, because ninja would otherwise read a bare `42` as an object whose
    fields all take their defaults. A body declared as another type (a form, plain text) is refused, not
    guessed at; so are bodies nested past MAX_BODY_DEPTH and strings with a NUL character, which no field
    of this API can take (PostgreSQL cannot store one).
    """

    def parse_body(self, request: HttpRequest):
        if request.body and not _is_json(request.content_type or ""):
            raise NotJson(f"send the body as application/json, not {request.content_type or 'no Content-Type'}")
        try:
            data = json.loads(request.body)
        except UnicodeDecodeError as exc:
            raise MalformedBody("the body is not UTF-8 text") from exc
        except json.JSONDecodeError as exc:
            raise MalformedBody(f"not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}") from exc
        except RecursionError as exc:
            raise MalformedBody(f"nested deeper than {MAX_BODY_DEPTH} levels", code="too_deep") from exc
        if not isinstance(data, dict):
            raise BodyNotObject(f"the body must be a JSON object, not {type(data).__name__}")
        _check_values(data)
        return data


def _field_of(loc: list) -> str:
    # ninja prefixes locations with where the value came from ("body", "query", "path", the param name).
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "header", "cookie", "form", "payload")]
    return ".".join(parts) or "body"


def _method_not_allowed(request: HttpRequest, allowed: str) -> JsonResponse:
    body = error_body("method_not_allowed", f"{request.method} is not allowed here; use {allowed}.")
    response = JsonResponse(body, status=405)
    response["Allow"] = allowed
    return response


def not_found_view(request: HttpRequest, *args, **kwargs) -> JsonResponse:
    """Any path under /api/v1/ that names no operation."""
    return JsonResponse(error_body("not_found", f"No API operation at {request.path}."), status=404)


def json_method_not_allowed(view):
    """Wraps an API URL's view so a wrong method gets the error shape (ninja answers 405 in plain text)."""

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        response = view(request, *args, **kwargs)
        if response.status_code == 405 and not response.get("Content-Type", "").startswith("application/json"):
            return _method_not_allowed(request, response.get("Allow", ""))
        return response

    return wrapped


def read_only(view):
    """Wraps a view that only reads (the OpenAPI document, the docs page): other methods get a JSON 405."""

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        if request.method not in ("GET", "HEAD"):
            return _method_not_allowed(request, "GET, HEAD")
        return view(request, *args, **kwargs)

    return wrapped


def install(api: NinjaAPI) -> None:
    @api.exception_handler(ValidationError)
    def validation_error(request, exc: ValidationError):
        errors = [
            {"field": _field_of(list(e.get("loc", []))), "code": e.get("type", "invalid"), "message": e.get("msg", "")}
            for e in exc.errors
        ]
        first = errors[0] if errors else {"field": "body", "message": "invalid input"}
        return api.create_response(
            request,
            error_body("validation_error", f"{first['field']}: {first['message']}", errors),
            status=422,
        )

    @api.exception_handler(DomainError)
    def domain_error(request, exc: DomainError):
        errors = [{"field": exc.field, "code": exc.code, "message": exc.message}] if exc.field else []
        return api.create_response(request, error_body(exc.code, exc.message, errors), status=exc.status)

    @api.exception_handler(AuthenticationError)
    def authentication_error(request, exc: AuthenticationError):
        message = exc.message if exc.message != "Unauthorized" else "Sign in or send 'Authorization: Bearer <token>'."
        response = api.create_response(request, error_body("not_authenticated", message), status=401)
        response["WWW-Authenticate"] = 'Bearer realm="api"'
        return response

    @api.exception_handler(AuthorizationError)
    def authorization_error(request, exc: AuthorizationError):
        return api.create_response(request, error_body("permission_denied", str(exc)), status=403)

    @api.exception_handler(DjangoPermissionDenied)
    def permission_denied(request, exc):
        message = str(exc) or "You may not do this."
        return api.create_response(request, error_body("permission_denied", message), status=403)

    @api.exception_handler(Http404)
    def not_found(request, exc):
        return api.create_response(request, error_body("not_found", str(exc) or "Not found."), status=404)

    @api.exception_handler(Throttled)
    def throttled(request, exc: Throttled):
        return api.create_response(request, error_body("throttled", "Too many requests; slow down."), status=429)

    @api.exception_handler(CsrfFailed)
    def csrf_failed(request, exc: CsrfFailed):
        return api.create_response(request, error_body("csrf_failed", str(exc)), status=403)

    @api.exception_handler(HttpError)
    def http_error(request, exc: HttpError):
        if isinstance(exc.__cause__, NulInBody):
            return api.create_response(request, nul_error(exc.__cause__.field), status=422)
        if isinstance(exc.__cause__, NotJson):
            body = field_error("unsupported_media_type", "body", "json_expected", str(exc.__cause__))
            return api.create_response(request, body, status=415)
        if isinstance(exc.__cause__, BodyNotObject):
            reason = str(exc.__cause__)
            return api.create_response(
                request,
                error_body(
                    "validation_error",
                    f"body: {reason}",
                    [{"field": "body", "code": "object_expected", "message": reason}],
                ),
                status=422,
            )
        if isinstance(exc.__cause__, MalformedBody):
            reason = str(exc.__cause__)
            return api.create_response(
                request,
                error_body(
                    "malformed_body",
                    f"body: {reason}",
                    [{"field": "body", "code": exc.__cause__.code, "message": reason}],
                ),
                status=400,
            )
        return api.create_response(request, error_body("http_error", str(exc)), status=exc.status_code)

    @api.exception_handler(OperationalError)
    def database_busy(request, exc: OperationalError) -> HttpResponse:
        # SQLite's single writer timed out under load ("database is locked"), or PostgreSQL rolled the transaction
        # back to end a deadlock or a serialization conflict: nothing was written, and the same request (with the
        # same Idempotency-Key, where it has one) may be sent again.
        if "database is locked" not in str(exc).lower() and _sqlstate(exc) not in RETRYABLE_SQLSTATES:
            return server_error(request, exc)
        logger.warning("API busy on %s %s: %s", request.method, request.path, exc)
        response = api.create_response(
            request,
            error_body("busy", "The shop is busy right now; nothing was changed. Please send the request again."),
            status=503,
        )
        response["Retry-After"] = "2"
        return response

    @api.exception_handler(Exception)
    def server_error(request, exc: Exception) -> HttpResponse:
        # Still a 500 (a bug to fix), but in the one shape and with the traceback in the log.
        logger.exception("API error on %s %s", request.method, request.path, exc_info=exc)
        return api.create_response(
            request, error_body("server_error", "Something went wrong on our side; it has been logged."), status=500
        )
