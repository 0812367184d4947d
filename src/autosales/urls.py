from django.contrib import admin
from django.urls import include, path

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
