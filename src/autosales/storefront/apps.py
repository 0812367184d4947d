from django.apps import AppConfig


class StorefrontConfig(AppConfig):
    name = "autosales.storefront"
    label = "storefront"
    verbose_name = "Storefront"
