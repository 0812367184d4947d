from django.apps import AppConfig


class PaymentsConfig(AppConfig):
    name = "autosales.payments"
    label = "payments"
    verbose_name = "Payments"
