from django.apps import AppConfig


class OrdersConfig(AppConfig):
    name = "autosales.orders"
    label = "orders"
    verbose_name = "Orders"
