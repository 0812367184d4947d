from django.apps import AppConfig


class BackofficeConfig(AppConfig):
    name = "autosales.backoffice"
    label = "backoffice"
    verbose_name = "Backoffice"
