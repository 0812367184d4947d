"""One JSON shape for every API error: a code, a message, and the fields at fault.

{"code": "validation_error", "message": "...", "errors": [{"field": "quantity", "code": "...", "message": "..."}]}
"""

from django.http import Http404
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError

from autosales.core.errors import DomainError


def error_body(code: str, message: str, errors: list[dict] | None = None) -> dict:
    return {"code": code, "message": message, "errors": errors or []}


def _field_of(loc: list) -> str:
    # ninja prefixes locations with where the value came from ("body", "query", "path", the param name).
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "header", "cookie", "form", "payload")]
    return ".".join(parts) or "body"


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
    def authentication_error(request, exc):
        return api.create_response(
            request, error_body("not_authenticated", "Sign in or send 'Authorization: Bearer <token>'."), status=401
        )

    @api.exception_handler(Http404)
    def not_found(request, exc):
        return api.create_response(request, error_body("not_found", str(exc) or "Not found."), status=404)

    @api.exception_handler(HttpError)
    def http_error(request, exc: HttpError):
        return api.create_response(request, error_body("http_error", str(exc)), status=exc.status_code)
