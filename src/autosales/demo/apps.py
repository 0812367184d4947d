from django.apps import AppConfig


class DemoConfig(AppConfig):
    name = "autosales.demo"
    label = "demo"
    verbose_name = "Demo data"
