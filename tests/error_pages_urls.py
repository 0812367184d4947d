"""The product's URLs plus two views that fail on purpose, for the error-page tests (tests/core/test_error_pages.py)."""

from django.core.exceptions import PermissionDenied
from django.urls import path

from autosales.urls import handler500
from autosales.urls import urlpatterns as product_urlpatterns


def forbidden(request):
    raise PermissionDenied


def broken(request):
    raise RuntimeError("a bug in a view")


urlpatterns = [path("test-forbidden/", forbidden), path("test-broken/", broken), *product_urlpatterns]

__all__ = ["handler500", "urlpatterns"]
