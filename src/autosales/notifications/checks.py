from django.conf import settings
from django.core.checks import Error, register
from django.core.exceptions import ImproperlyConfigured

from autosales.notifications.backends import transport_config


@register()
def email_url_check(app_configs=None, **kwargs):
    try:
        transport_config(settings.EMAIL_URL)
    except ImproperlyConfigured as exc:
        return [Error(str(exc), hint="See docs/configuration.md, 'Email'.", id="autosales.E001")]
    return []
