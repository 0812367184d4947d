"""The demo's order history: a year of orders some customers placed by hand on a rhythm, so the CRM has reorders
to predict — Northwind's T8 tubes due in a few days, Harbor View's PAR30 lamps a few days late, Summit's A19 bulbs
lapsing — and the reorder predictions computed from it. Standing orders are the recurring loader's."""

from __future__ import annotations

import datetime as dt

from autosales.catalog.models import Variant
from autosales.core import clock
from autosales.crm.prediction.store import predictions_refresh
from autosales.customers.models import Organization
from autosales.orders.models import Order, OrderLine, OrderSource, OrderStatus, PaymentKind
from autosales.pricing.models import Price

# customer, SKU prefix, quantity, every N days, days since the last order, orders
HISTORIES = [
    ("Northwind Facilities Management", "BW-T8PP-12W", 30, 42, 38, 8),
    ("Harbor View Hotels", "BW-PAR30L-11W", 24, 28, 31, 12),
    ("Summit School District", "LUM-A19-9W", 48, 21, 52, 10),
]
# a few days either way, as people order: not the same weekday every time
JITTER = (0, 2, -1, 1, -2, 0, 1, -1, 2, 0, -1, 1)


def demo_order_history_load() -> int:
    """The customers' past orders exist (delivered, on account); returns the orders made."""
    created = 0
    now = clock.now()
    for customer, sku_prefix, quantity, every, since_last, count in HISTORIES:
        organization = Organization.objects.filter(name=customer).first()
        variant = Variant.objects.filter(sku__startswith=sku_prefix).order_by("sku").first()
        if organization is None or variant is None:
            continue
        if Order.objects.filter(organization=organization).exclude(source=OrderSource.STANDING_ORDER).exists():
            continue
        price = Price.objects.filter(variant=variant, price_list__is_default=True).first()
        address = organization.addresses.order_by("-is_default", "pk").first()
        for i in range(count):
            days_ago = since_last + every * (count - 1 - i) + (JITTER[i % len(JITTER)] if i < count - 1 else 0)
            subtotal = price.amount * quantity
            order = Order.objects.create(
                organization=organization,
                status=OrderStatus.DELIVERED,
                payment_kind=PaymentKind.ACCOUNT,
                currency=organization.currency,
                subtotal=subtotal,
                shipping=0,
                tax=0,
                total=subtotal,
                ship_name=organization.name,
                ship_line1=address.line1,
                ship_city=address.city,
                ship_region=address.region,
                ship_postal_code=address.postal_code,
                ship_country=address.country,
                shipping_method_code="freight",
                shipping_method_name="Freight",
                placed_at=now - dt.timedelta(days=days_ago, hours=3),
            )
            OrderLine.objects.create(
                order=order,
                variant=variant,
                sku=variant.sku,
                name=f"{variant.product.name} {variant.name}",
                quantity=quantity,
                quantity_shipped=quantity,
                unit_price=price.amount,
                line_total=subtotal,
            )
            created += 1
    if created:
        predictions_refresh(now=now)
    return created
