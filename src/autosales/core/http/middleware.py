"""Refuses input no view should see, before any view, form or the API reads it.

- A NUL character in the path, a query parameter or a form field: PostgreSQL cannot store one (a 500 there) and
  SQLite would keep it. Pages get a 400 page naming the field; the API gets a 422 in its error shape. NULs inside
  API JSON bodies are found by the API's body parser (core/http/errors.py), which knows the field's path.
- A body over DATA_UPLOAD_MAX_MEMORY_SIZE: 413, a plain page or the API's error shape.
"""

from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import Resolver404, resolve
from django.utils.html import format_html

from autosales.core.errors import NUL, NUL_REASON
from autosales.core.http.errors import body_too_large, nul_error

API_PATH_PREFIX = "/api/"


def _path_field(request: HttpRequest) -> str:
    """The URL parameter holding the NUL (e.g. `public_id`), else `path`."""
    try:
        match = resolve(request.path_info)
    except Resolver404:
        return "path"
    return next((name for name, value in match.kwargs.items() if NUL in str(value)), "path")


def _field_with_nul(request: HttpRequest, *, read_form: bool) -> str | None:
    if NUL in request.path_info:
        return _path_field(request)
    sources = [request.GET, request.POST] if read_form else [request.GET]
    for data in sources:
        for name, values in data.lists():
            if NUL in name or any(NUL in value for value in values):
                return name.replace(NUL, "") or "?"
    return None


def _page(status: int, title: str, text: str) -> HttpResponse:
    body = format_html(
        '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{}</title></head>'
        "<body><h1>{}</h1><p>{}</p></body></html>",
        title,
        title,
        text,
    )
    return HttpResponse(body, status=status, content_type="text/html; charset=utf-8")


class RequestInputMiddleware:
    """Placed before the session, CSRF and authentication middleware: nothing has read the input yet."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        is_api = request.path_info.startswith(API_PATH_PREFIX)
        try:
            if request.content_type != "multipart/form-data":
                request.body  # noqa: B018 -- read now (bounded by the limit): an oversized one is a 413 here
            field = _field_with_nul(request, read_form=not is_api)
        except RequestDataTooBig:
            if is_api:
                return JsonResponse(body_too_large(), status=413)
            return _page(413, "Request too large", "The request is larger than this site accepts.")
        if field is not None:
            if is_api:
                return JsonResponse(nul_error(field), status=422)
            return _page(400, "Bad request", f"The field “{field}” {NUL_REASON}; remove it and try again.")
        return self.get_response(request)
