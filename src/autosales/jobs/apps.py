from django.apps import AppConfig


class JobsConfig(AppConfig):
    name = "autosales.jobs"
    label = "jobs"
    verbose_name = "Jobs"
