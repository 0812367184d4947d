from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "autosales.notifications"
    label = "notifications"
    verbose_name = "Notifications"

    def ready(self) -> None:
        from autosales.notifications import checks  # noqa: F401  (registers the EMAIL_URL check)
