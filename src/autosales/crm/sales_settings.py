"""A salesperson's own settings: time zone, reminders, digest hour, the calendar feed's secret."""

from autosales.core import ids
from autosales.core.errors import DomainError
from autosales.core.timezones import is_zone_name, zone_error
from autosales.crm.errors import CrmErrorCode
from autosales.crm.models import SalesSettings
from autosales.crm.permissions import crm_user
from autosales.crm.tasks import offsets_clean


def sales_settings_ensure(*, user) -> SalesSettings:
    """The user's CRM settings, created with the defaults on first use."""
    row, _ = SalesSettings.objects.get_or_create(user=user)
    return row


def sales_settings_update(
    *,
    user,
    timezone: str,
    reminder_offsets,
    remind_by_email: bool,
    remind_in_app: bool,
    digest_enabled: bool,
    digest_hour: int,
) -> SalesSettings:
    """The user's settings as given; raises DomainError naming the field of a bad value and changes nothing."""
    if not crm_user(user):
        raise DomainError(CrmErrorCode.NOT_ALLOWED, "Only salespeople and managers have CRM settings.", None)
    timezone = (timezone or "").strip()
    if timezone and not is_zone_name(timezone):
        raise DomainError(CrmErrorCode.INVALID, zone_error(timezone), "timezone")
    offsets = offsets_clean(reminder_offsets)
    if not isinstance(digest_hour, int) or not 0 <= digest_hour <= 23:
        raise DomainError(CrmErrorCode.INVALID, "The digest hour is from 0 to 23.", "digest_hour")
    row, _ = SalesSettings.objects.get_or_create(user=user)
    row.timezone = timezone
    row.reminder_offsets = offsets
    row.remind_by_email = bool(remind_by_email)
    row.remind_in_app = bool(remind_in_app)
    row.digest_enabled = bool(digest_enabled)
    row.digest_hour = digest_hour
    row.save()
    return row


def calendar_token_renew(*, user) -> SalesSettings:
    """A new secret for the calendar feed: the old URL stops working at once."""
    row, _ = SalesSettings.objects.get_or_create(user=user)
    row.calendar_token = ids.token()
    row.save(update_fields=["calendar_token"])
    return row
