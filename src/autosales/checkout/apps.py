from django.apps import AppConfig


class CheckoutConfig(AppConfig):
    name = "autosales.checkout"
    label = "checkout"
    verbose_name = "Checkout"
