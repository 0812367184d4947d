from django.urls import path

from autosales.storefront.views import catalog

app_name = "storefront"

urlpatterns = [
    # Catalog
    path("", catalog.home, name="home"),
]
