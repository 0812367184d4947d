"""The demo's standing orders: Northwind's 1,000 bulbs every two months, and Lakeside's monthly tubes."""

from __future__ import annotations

import datetime as dt

from django.conf import settings

from autosales.catalog.models import Variant
from autosales.core import clock
from autosales.customers.models import Organization, User
from autosales.pricing.shipping import ShippingMethod
from autosales.recurring.models import StandingOrder
from autosales.recurring.schedule import rule_for
from autosales.recurring.services import LineIn, standing_order_create

# name, customer, buyer, [(sku, quantity)], every N months, days from today to the first order, payment
STANDING_ORDERS = [
    (
        "1,000 A19 bulbs every two months",
        "Northwind Facilities Management",
        "buyer",
        [("BW-A19D-11W-30K-4", 250)],  # 250 four-packs: 1,000 bulbs
        2,
        2,
        (StandingOrder.PaymentKind.ACCOUNT, ""),
    ),
    (
        "Monthly T8 tubes for the apartments",
        "Lakeside Property Group",
        "buyer2",
        [("BW-T8PP-12W-50K-10", 40)],
        1,
        9,
        # The built-in test gateway's approving card token, standing in for a card kept on file at the gateway.
        (StandingOrder.PaymentKind.CARD, "tok_approve"),
    ),
]


# Stripe's test-mode card (localstripe knows it too): the card a demo against Stripe keeps on file.
STRIPE_DEMO_CARD = "pm_card_visa"


def demo_standing_orders() -> int:
    """The demo's standing orders exist, starting soon after the demo is first loaded; returns rows made."""
    created = 0
    for name, customer, username, items, every, in_days, (payment_kind, token) in STANDING_ORDERS:
        organization = Organization.objects.get(name=customer)
        if StandingOrder.objects.filter(organization=organization, name=name).exists():
            continue
        buyer = User.objects.get(username=username)
        start = clock.today(organization.local_time_zone) + dt.timedelta(days=in_days)
        variants = dict(Variant.objects.filter(sku__in=[sku for sku, _ in items]).values_list("sku", "pk"))
        if payment_kind == StandingOrder.PaymentKind.CARD and settings.PAYMENT_PROVIDER == "stripe":
            token = STRIPE_DEMO_CARD
        standing_order_create(
            organization=organization,
            actor=buyer,
            name=name,
            lines=[LineIn(variant_id=variants[sku], quantity=quantity) for sku, quantity in items],
            rule=rule_for(every=every, unit="month", day_of_month=start.day),
            start_date=start,
            shipping_address=organization.addresses.order_by("-is_default", "pk").first(),
            shipping_method=ShippingMethod.objects.get(code="freight"),
            payment_kind=payment_kind,
            payment_token=token,
        )
        created += 1
    return created
