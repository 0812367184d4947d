"""Who a standing order's emails go to, and the absolute links they carry."""

from __future__ import annotations

from django.conf import settings

from autosales.customers.selectors import ordering_contact_emails
from autosales.recurring.models import StandingOrder


def standing_order_recipients(standing_order: StandingOrder) -> list[str]:
    """The organization's current ordering contacts (else its own address), whoever set the standing order up.

    Not the person who set it up: that may be a salesperson acting for the customer, or someone who has left.
    The confirmation of each order a run places goes to the same people (`orders.transitions.order_recipients`
    applies the same `customers.selectors.ordering_contact_emails` to standing-order orders).
    """
    return ordering_contact_emails(organization=standing_order.organization)


def absolute_link(path: str) -> str:
    return settings.SHOP["base_url"].rstrip("/") + path
