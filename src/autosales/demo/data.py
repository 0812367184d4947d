"""The demo: a light-bulb supplier with its catalog, stock, staff and business customers.

Each domain's demo data is its own module with one loader function (`catalog_data`, `pictures`, `staff_data`,
`customers_data`, `pricing_data`, `inventory_data`, `checkout_data`, `recurring_data`, `crm_data`,
`order_history_data`; the sign-ins and the
demo password are in `sign_ins`); `demo_load` runs the loaders in order in one transaction. Loaders only create what is missing and never overwrite existing rows, so running the
demo again (every `autosales demo` does) changes nothing, including what people changed while trying it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.db import transaction

from autosales.catalog.models import Category, Product, Variant
from autosales.core.cache_versions import KINDS, versions_bump
from autosales.customers.models import Organization, User
from autosales.demo.automation_data import demo_automation_load
from autosales.demo.catalog_data import demo_catalog_load
from autosales.demo.checkout_data import demo_shipping
from autosales.demo.crm_data import demo_crm_load
from autosales.demo.customers_data import demo_customers_load
from autosales.demo.inventory_data import demo_stock_load
from autosales.demo.order_history_data import demo_order_history_load
from autosales.demo.pictures import demo_pictures_load
from autosales.demo.pricing_data import demo_prices_load
from autosales.demo.recurring_data import demo_standing_orders
from autosales.demo.sign_ins import DEMO_PASSWORD, SIGN_INS, DemoSignIn
from autosales.demo.staff_data import demo_staff_load
from autosales.inventory.models import Warehouse

__all__ = ["DEMO_LOADERS", "DEMO_PASSWORD", "SIGN_INS", "DemoSignIn", "DemoSummary", "demo_load"]


@dataclass(frozen=True)
class DemoSummary:
    """What the demo holds after loading, and how many rows this run created (0 on a re-run)."""

    created: int
    categories: int
    products: int
    variants: int
    warehouses: int
    organizations: int
    users: int
    sign_ins: tuple[DemoSignIn, ...]


# In dependency order: prices need customers (the contract list), customers need the salesperson.
DEMO_LOADERS: list[Callable[[], int]] = [
    demo_catalog_load,
    demo_pictures_load,
    demo_staff_load,
    demo_customers_load,
    demo_prices_load,
    demo_stock_load,
    demo_shipping,
    demo_standing_orders,
    demo_crm_load,
    demo_order_history_load,
    demo_automation_load,
]


@transaction.atomic
def demo_load() -> DemoSummary:
    """The demo data exists in full; rows already there are left exactly as they are."""
    created = sum(loader() for loader in DEMO_LOADERS)
    if created:
        versions_bump(*KINDS)
    return DemoSummary(
        created=created,
        categories=Category.objects.count(),
        products=Product.objects.count(),
        variants=Variant.objects.count(),
        warehouses=Warehouse.objects.count(),
        organizations=Organization.objects.count(),
        users=User.objects.count(),
        sign_ins=SIGN_INS,
    )
