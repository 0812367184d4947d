"""Start-up checks: a billing setting that does not parse is refused at once, naming the setting and why."""

from django.core import checks

from autosales.billing.config import setting_problems


@checks.register()
def billing_settings_check(app_configs=None, **kwargs):
    return [checks.Error(problem, id="billing.E001") for problem in setting_problems()]
