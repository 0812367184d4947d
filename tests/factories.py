"""Small builders for test data; each takes keyword overrides and saves what it makes."""

import itertools
from decimal import Decimal

from autosales.catalog.models import Category, Product, Variant
from autosales.customers.models import Membership, Organization, User
from autosales.inventory.models import StockLevel, Warehouse
from autosales.pricing.models import Price, PriceList

_seq = itertools.count(1)


def make_user(*, username=None, password="demo", **fields) -> User:
    n = next(_seq)
    username = username or f"user{n}"
    fields.setdefault("email", f"{username}@example.com")
    return User.objects.create_user(username=username, password=password, **fields)


def make_organization(*, name=None, **fields) -> Organization:
    return Organization.objects.create(name=name or f"Org {next(_seq)}", **fields)


def make_member(*, organization=None, role=Membership.Role.BUYER, **user_fields) -> User:
    user = make_user(**user_fields)
    Membership.objects.create(user=user, organization=organization or make_organization(), role=role)
    return user


def make_category(*, name=None, **fields) -> Category:
    n = next(_seq)
    name = name or f"Category {n}"
    fields.setdefault("slug", f"category-{n}")
    return Category.objects.create(name=name, **fields)


def default_price_list() -> PriceList:
    price_list, _ = PriceList.objects.get_or_create(is_default=True, defaults={"name": "List prices"})
    return price_list


def make_product(*, name=None, category=None, variants=1, price="9.99", stock=10, warehouse=None, **fields):
    """A product with `variants` variants, each priced at `price` with `stock` units in `warehouse`."""
    from autosales.catalog.services import product_reindex

    n = next(_seq)
    product = Product.objects.create(
        name=name or f"Bulb {n}",
        slug=fields.pop("slug", f"bulb-{n}"),
        category=category or make_category(),
        **fields,
    )
    warehouse = warehouse or make_warehouse()
    for i in range(variants):
        variant = Variant.objects.create(product=product, sku=f"SKU-{n}-{i}", name=f"Variant {i}", position=i)
        Price.objects.create(price_list=default_price_list(), variant=variant, amount=Decimal(price))
        StockLevel.objects.create(warehouse=warehouse, variant=variant, on_hand=stock)
    product_reindex(product=product)
    return product


def make_warehouse(*, code=None, **fields) -> Warehouse:
    if code is None:
        existing = Warehouse.objects.order_by("id").first()
        if existing and not fields:
            return existing
        code = f"WH{next(_seq)}"
    return Warehouse.objects.create(code=code, name=fields.pop("name", f"Warehouse {code}"), **fields)
