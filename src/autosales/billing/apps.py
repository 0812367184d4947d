from django.apps import AppConfig


class BillingConfig(AppConfig):
    name = "autosales.billing"
    label = "billing"
    verbose_name = "Billing"

    def ready(self) -> None:
        # The invoice PDF is attached to emails at delivery, from the invoice's reference (see notifications.attachments).
        from autosales.billing import checks, documents  # noqa: F401  (and registers the start-up checks)
