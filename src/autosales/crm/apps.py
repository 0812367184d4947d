from django.apps import AppConfig


class CrmConfig(AppConfig):
    name = "autosales.crm"
    label = "crm"
    verbose_name = "CRM"
