from django.apps import AppConfig


class PricingConfig(AppConfig):
    name = "autosales.pricing"
    label = "pricing"
    verbose_name = "Pricing"
