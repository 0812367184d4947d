from django.conf import settings
from django.contrib import admin
from django.urls import include, path

from autosales.core.views import favicon, healthz, server_error
from autosales.storefront.views.account import admin_signin

# One brand and one sign-in page for the store, the back office and the admin.
admin.site.site_header = f"{settings.SHOP['name']} administration"
admin.site.site_title = f"{settings.SHOP['name']} admin"
admin.site.login = admin_signin

handler500 = server_error

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("favicon.ico", favicon, name="favicon"),
    path("i18n/", include("django.conf.urls.i18n")),  # set_language: the store footer's language switcher
    path("admin/", admin.site.urls),
    path("api/v1/", include("autosales.api.urls")),
    path("backoffice/", include("autosales.backoffice.urls")),
    path("payments/", include("autosales.payments.urls")),
    path("", include("autosales.storefront.urls")),
]
