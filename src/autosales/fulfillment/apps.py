from django.apps import AppConfig


class FulfillmentConfig(AppConfig):
    name = "autosales.fulfillment"
    label = "fulfillment"
    verbose_name = "Fulfillment"

    def ready(self) -> None:
        from autosales.fulfillment import checks, jobs  # noqa: F401  (registers the checks and the jobs)
