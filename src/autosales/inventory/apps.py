from django.apps import AppConfig


class InventoryConfig(AppConfig):
    name = "autosales.inventory"
    label = "inventory"
    verbose_name = "Inventory"
