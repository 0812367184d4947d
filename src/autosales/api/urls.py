"""Mounts the routers of the domain apps under /api/v1/."""

from django.urls import path
from ninja import NinjaAPI

from autosales.api import errors

api = NinjaAPI(
    title="autosales API",
    version="1",
    description="Catalog, cart, checkout, orders and standing orders. "
    "Authenticate with a session cookie (and CSRF token) or `Authorization: Bearer <token>`.",
    urls_namespace="api",
)
errors.install(api)

urlpatterns = [path("", api.urls)]
