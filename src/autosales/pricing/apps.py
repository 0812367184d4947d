from django.apps import AppConfig


class PricingConfig(AppConfig):
    name = "autosales.pricing"
    label = "pricing"
    verbose_name = "Pricing"

    def ready(self):
        from autosales.pricing import admin_shipping  # noqa: F401  (registers shipping methods and tax rates)
