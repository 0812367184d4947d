from django.contrib import admin
from django.urls import include, path

admin.site.site_header = "autosales administration"
admin.site.site_title = "autosales admin"

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/v1/", include("autosales.api.urls")),
    path("backoffice/", include("autosales.backoffice.urls")),
    path("payments/", include("autosales.payments.urls")),
    path("", include("autosales.storefront.urls")),
]
