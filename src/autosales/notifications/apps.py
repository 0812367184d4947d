from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "autosales.notifications"
    label = "notifications"
    verbose_name = "Notifications"
