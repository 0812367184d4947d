"""Who a standing order's emails go to, and the absolute links they carry."""

from __future__ import annotations

from django.conf import settings

from autosales.customers.models import Membership
from autosales.recurring.models import StandingOrder


def standing_order_recipients(standing_order: StandingOrder) -> list[str]:
    emails = [standing_order.created_by.email] if standing_order.created_by.email else []
    if not emails:
        emails = list(
            Membership.objects.filter(organization=standing_order.organization, user__is_active=True)
            .exclude(user__email="")
            .values_list("user__email", flat=True)[:1]
        )
    if not emails and standing_order.organization.email:
        emails = [standing_order.organization.email]
    return emails


def absolute_link(path: str) -> str:
    return settings.SHOP["base_url"].rstrip("/") + path
