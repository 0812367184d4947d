from django.conf import settings
from django.contrib import admin
from django.urls import include, path, re_path
from django.views.static import serve

from autosales.core.views import healthz

admin.site.site_header = "autosales administration"
admin.site.site_title = "autosales admin"

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("admin/", admin.site.urls),
    path("api/v1/", include("autosales.api.urls")),
    path("backoffice/", include("autosales.backoffice.urls")),
    path("payments/", include("autosales.payments.urls")),
    path("", include("autosales.storefront.urls")),
]

if settings.SERVE_MEDIA:
    # Product pictures under MEDIA_ROOT (docs/deployment.md, "Product pictures": a web server may serve them instead).
    media = settings.MEDIA_URL.strip("/")
    urlpatterns.insert(0, re_path(rf"^{media}/(?P<path>.*)$", serve, {"document_root": settings.MEDIA_ROOT}))
