from django.apps import AppConfig


class RecurringConfig(AppConfig):
    name = "autosales.recurring"
    label = "recurring"
    verbose_name = "Standing orders"
