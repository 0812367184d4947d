"""Demo shipping methods and sales-tax rates for the light-bulb supplier."""

from decimal import Decimal

from autosales.core.cache_versions import DELIVERY, PRICES, versions_bump
from autosales.pricing.shipping import ShippingMethod
from autosales.pricing.tax import TaxRate

D = Decimal

SHIPPING_METHODS = [
    {
        "code": "ground",
        "name": "Ground (3–5 business days)",
        "kind": ShippingMethod.Kind.FLAT,
        "base_rate": D("9.95"),
        "free_over": D("150.00"),
        "transit_days_min": 3,
        "transit_days_max": 5,
        "countries": ["US"],
        "position": 0,
    },
    {
        "code": "express",
        "name": "Express (next business day)",
        "kind": ShippingMethod.Kind.QUANTITY,
        "base_rate": D("14.00"),
        "rate_per_item": D("0.50"),
        "transit_days_min": 1,
        "transit_days_max": 1,
        "countries": ["US"],
        "position": 1,
    },
    {
        "code": "freight",
        "name": "Pallet freight (by weight)",
        "kind": ShippingMethod.Kind.WEIGHT,
        "base_rate": D("45.00"),
        "rate_per_kg": D("0.80"),
        "transit_days_min": 4,
        "transit_days_max": 7,
        "countries": ["US", "CA"],
        "position": 2,
    },
]

# State sales tax (base state rates; local add-ons are left out of the demo).
TAX_RATES = [
    ("US", "IL", "Illinois sales tax", "6.250", False),
    ("US", "WI", "Wisconsin sales tax", "5.000", False),
    ("US", "IN", "Indiana sales tax", "7.000", False),
    ("US", "MO", "Missouri sales tax", "4.225", False),
    ("US", "NY", "New York sales tax", "4.000", True),
    ("US", "CA", "California sales tax", "7.250", False),
]


def demo_shipping() -> int:
    """The demo's shipping methods and tax rates exist; rows already there are left as they are. Returns rows created."""
    created = 0
    for spec in SHIPPING_METHODS:
        fields = dict(spec)
        _, made = ShippingMethod.objects.get_or_create(code=fields.pop("code"), defaults=fields)
        created += made
    for country, region, name, rate, on_shipping in TAX_RATES:
        _, made = TaxRate.objects.get_or_create(
            country=country,
            region=region,
            is_active=True,
            defaults={"name": name, "rate_percent": D(rate), "applies_to_shipping": on_shipping},
        )
        created += made
    if created:
        versions_bump(DELIVERY, PRICES)  # a running shop reads its shipping methods and tax rates from the cache
    return created
