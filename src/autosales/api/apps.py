from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "autosales.api"
    label = "api"
    verbose_name = "API"
