from django.apps import AppConfig
from django.utils.module_loading import autodiscover_modules


class JobsConfig(AppConfig):
    name = "autosales.jobs"
    label = "jobs"
    verbose_name = "Jobs"

    def ready(self) -> None:
        # Each app registers its jobs with @job in its own `jobs.py`.
        autodiscover_modules("jobs")
