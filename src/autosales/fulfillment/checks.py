"""Start-up checks: a carrier entry in settings that could not make a tracking link is refused at once."""

from django.conf import settings
from django.core import checks

from autosales.fulfillment.carriers import carrier_problems


@checks.register()
def carriers_check(app_configs=None, **kwargs):
    return [
        checks.Error(problem, id="fulfillment.E001")
        for problem in carrier_problems(getattr(settings, "FULFILLMENT_CARRIERS", {}))
    ]
