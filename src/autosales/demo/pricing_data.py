"""The demo prices: a list price for every demo variant, and Northwind's contract price list."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings

from autosales.catalog.models import Variant
from autosales.core.money import quantize
from autosales.customers.models import Organization
from autosales.demo.catalog_data import PRODUCTS, variant_specs
from autosales.pricing.models import Price, PriceList

CONTRACT_PRICE_LIST = "Northwind Facilities contract"
CONTRACT_CUSTOMER = "Northwind Facilities Management"
# Northwind buys A-lamps and T8 tubes by the pallet: 15 % off the list price.
CONTRACT_DISCOUNT = Decimal("0.85")
CONTRACT_CATEGORIES = ("led-a-lamps", "t8-tubes")


def _list_prices() -> dict[str, Decimal]:
    return {variant.sku: variant.price for spec in PRODUCTS for variant in variant_specs(spec)}


def demo_prices_load() -> int:
    """Every demo variant has a list price, and Northwind has its contract price list; returns the rows created."""
    created = 0
    default_list = PriceList.objects.filter(is_default=True).first()
    if default_list is None:
        default_list = PriceList.objects.create(name="List prices", is_default=True, currency=settings.CURRENCY)
        created += 1
    contract, was_created = PriceList.objects.get_or_create(
        name=CONTRACT_PRICE_LIST, defaults={"currency": default_list.currency}
    )
    created += was_created
    northwind = Organization.objects.get(name=CONTRACT_CUSTOMER, kind=Organization.Kind.BUSINESS)
    if not contract.organizations.filter(pk=northwind.pk).exists():
        contract.organizations.add(northwind)

    list_prices = _list_prices()
    variants = Variant.objects.filter(sku__in=list_prices).select_related("product__category")
    existing = set(
        Price.objects.filter(variant__in=variants, price_list__in=[default_list, contract]).values_list(
            "price_list_id", "variant_id"
        )
    )
    new_prices = []
    for variant in variants:
        amount = list_prices[variant.sku]
        if (default_list.pk, variant.pk) not in existing:
            new_prices.append(Price(price_list=default_list, variant=variant, amount=amount))
        if variant.product.category.slug in CONTRACT_CATEGORIES and (contract.pk, variant.pk) not in existing:
            special = quantize(amount * CONTRACT_DISCOUNT, contract.currency)
            new_prices.append(Price(price_list=contract, variant=variant, amount=special))
    Price.objects.bulk_create(new_prices)
    return created + len(new_prices)
