from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "autosales.core"
    label = "core"
    verbose_name = "Core"
