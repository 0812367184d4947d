"""Mounts the routers of the domain apps under /api/v1/.

Mounting a router is one line in ROUTERS: ("prefix", router). Its operations need a signed-in caller
(bearer token or session) unless the router or the operation says `auth=PUBLIC` (see core/http/auth.py).
"""

from django.http import JsonResponse
from django.urls import URLPattern, path, re_path
from ninja import NinjaAPI

from autosales.billing.api import router as billing_router
from autosales.cart.api import router as cart_router
from autosales.catalog.api import router as products_router
from autosales.checkout.api import router as checkout_router
from autosales.core.http import auth, errors
from autosales.crm.api import router as crm_router
from autosales.customers.api import router as tokens_router
from autosales.fulfillment.api import router as fulfillment_router
from autosales.orders.api import router as orders_router
from autosales.recurring.api import router as recurring_router

ROUTERS = [
    ("/products", products_router),
    ("/tokens", tokens_router),
    ("/cart", cart_router),
    ("/checkout", checkout_router),
    ("/orders", orders_router),
    ("/billing", billing_router),
    ("", recurring_router),  # /standing-orders and /forecast
    ("", fulfillment_router),  # /fulfillment/orders, /shipments and /stock/receipts (staff)
    ("/crm", crm_router),
]


class AutosalesAPI(NinjaAPI):
    def get_openapi_schema(self, *, path_prefix=None, path_params=None):
        """The document, completed with what every operation shares: public operations accept no
        credentials (`{}` among their security options), and the errors the API answers for every
        operation (bad token, bad JSON, bad parameters, CSRF) are documented on each."""
        schema = super().get_openapi_schema(path_prefix=path_prefix, path_params=path_params)
        public = {
            operation.operation_id or self.get_openapi_operation_id(operation)
            for bound in self._get_bound_routers()
            for path_view in bound.path_operations.values()
            for operation in path_view.operations
            if any(isinstance(callback, auth.Anonymous) for callback in operation.auth_callbacks or [])
        }
        components = schema.setdefault("components", {}).setdefault("schemas", {})
        components.update(errors.ErrorOut.model_json_schema(ref_template="#/components/schemas/{model}")["$defs"])
        components["ErrorOut"] = {
            k: v
            for k, v in errors.ErrorOut.model_json_schema(ref_template="#/components/schemas/{model}").items()
            if k != "$defs"
        }
        for item in schema["paths"].values():
            for method, operation in item.items():
                security = operation.setdefault("security", [])
                if operation.get("operationId") in public and {} not in security:
                    security.append({})
                shared = {401: "Missing, unknown or revoked credentials."}
                if operation.get("parameters") or operation.get("requestBody"):
                    shared[422] = "A parameter or a body field is not valid; `errors` names each field."
                if operation.get("requestBody"):
                    shared[400] = "The body is not JSON, or nested too deeply."
                    shared[413] = "The body is too large."
                    shared[415] = "The body is not sent as application/json."
                if method.upper() not in ("GET", "HEAD", "OPTIONS") and {"SessionAuth": []} in security:
                    shared[403] = "The CSRF token is missing or wrong (session callers only), or not allowed."
                responses = operation.setdefault("responses", {})
                for status, description in shared.items():
                    if status in responses or str(status) in responses:  # ninja keys them by int
                        continue
                    responses.setdefault(
                        status,
                        {
                            "description": description,
                            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorOut"}}},
                        },
                    )
        return schema


api = AutosalesAPI(
    title="autosales API",
    version="1",
    description="Catalog, cart, checkout, orders, standing orders, billing, fulfillment and the CRM (for staff). "
    "Authenticate with a session cookie (and the CSRF token on POST, PUT, PATCH, DELETE) or "
    "`Authorization: Bearer <token>` (`autosales token create USERNAME`). "
    'Every error is `{"code", "message", "errors": [{"field", "code", "message"}]}`.',
    urls_namespace="api",
    auth=auth.SIGNED_IN,
    parser=errors.JsonBodyParser(),
)
errors.install(api)
for prefix, router in ROUTERS:
    api.add_router(prefix, router)


def api_root(request, **kwargs) -> JsonResponse:
    """Where an integrator starts: links to the OpenAPI document and the interactive docs."""
    base = request.build_absolute_uri(request.path)
    return JsonResponse(
        {"name": api.title, "version": api.version, "openapi": f"{base}openapi.json", "docs": f"{base}docs"}
    )


def _urls() -> list:
    patterns, app_name, namespace = api.urls
    wrapped = []
    for pattern in patterns:
        if isinstance(pattern, URLPattern) and pattern.name == "api-root":
            pattern = URLPattern(pattern.pattern, errors.read_only(api_root), pattern.default_args, pattern.name)
        elif isinstance(pattern, URLPattern) and pattern.name in ("openapi-json", "openapi-view"):
            callback = errors.read_only(pattern.callback)
            pattern = URLPattern(pattern.pattern, callback, pattern.default_args, pattern.name)
        elif isinstance(pattern, URLPattern):
            callback = errors.json_method_not_allowed(pattern.callback)
            pattern = URLPattern(pattern.pattern, callback, pattern.default_args, pattern.name)
        wrapped.append(pattern)
    return [path("", (wrapped, app_name, namespace)), re_path(r"^.*$", errors.not_found_view, name="api-not-found")]


urlpatterns = _urls()
