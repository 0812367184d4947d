from django.conf import settings
from django.contrib import admin
from django.urls import include, path, re_path
from django.views.decorators.csrf import csrf_exempt
from django.views.i18n import set_language
from django.views.static import serve

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
    # The store footer's language switcher. Without a CSRF token: the form is on every page, and a token would make
    # each visitor's copy of a page differ (and set a cookie on every first visit) for a choice that only sets the
    # language cookie of the one who posts it.
    path("i18n/setlang/", csrf_exempt(set_language), name="set_language"),
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
