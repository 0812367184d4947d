from django.apps import AppConfig


class CartConfig(AppConfig):
    name = "autosales.cart"
    label = "cart"
    verbose_name = "Cart"
