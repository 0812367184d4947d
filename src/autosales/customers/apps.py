from django.apps import AppConfig


class CustomersConfig(AppConfig):
    name = "autosales.customers"
    label = "customers"
    verbose_name = "Customers"
