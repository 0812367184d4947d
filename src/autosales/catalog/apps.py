from django.apps import AppConfig


class CatalogConfig(AppConfig):
    name = "autosales.catalog"
    label = "catalog"
    verbose_name = "Catalog"
