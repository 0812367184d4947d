"""Small builders for test data; each takes keyword overrides and saves what it makes."""

import datetime as dt
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


def make_product(
    *, name=None, category=None, variants=1, price="9.99", stock=10, warehouse=None, attributes=None, **fields
):
    """A product with `variants` variants, each priced at `price` with `stock` units in `warehouse`; `attributes`
    is a list of the variants' attribute dicts (its length is then the number of variants)."""
    from autosales.catalog.services import product_reindex

    n = next(_seq)
    product = Product.objects.create(
        name=name or f"Bulb {n}",
        slug=fields.pop("slug", f"bulb-{n}"),
        category=category or make_category(),
        **fields,
    )
    warehouse = warehouse or make_warehouse()
    if attributes is not None:
        variants = len(attributes)
    for i in range(variants):
        variant = Variant.objects.create(
            product=product,
            sku=f"SKU-{n}-{i}",
            name=f"Variant {i}",
            position=i,
            attributes=attributes[i] if attributes is not None else {},
        )
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
    # A center that ships every day until 23:59 (with make_shipping_method's same-day transit: a standing order's
    # runs are due on their dates); tests of delivery dates set the calendar they mean.
    fields.setdefault("working_days", "1234567")
    fields.setdefault("cutoff_time", dt.time(23, 59))
    return Warehouse.objects.create(code=code, name=fields.pop("name", f"Warehouse {code}"), **fields)


def make_address(*, organization=None, **fields):
    """An address in `organization`'s book (a new organization's when not given); a valid US address by default."""
    from autosales.customers.models import Address

    n = next(_seq)
    values = {
        "name": f"Recipient {n}",
        "line1": f"{n} Main Street",
        "city": "Springfield",
        "region": "IL",
        "postal_code": "62701",
        "country": "US",
    }
    values.update(fields)
    return Address.objects.create(organization=organization or make_organization(), **values)


def make_invitation(*, organization=None, email=None, role="buyer", invited_by=None, **fields):
    import datetime as dt

    from autosales.core import clock
    from autosales.customers.models import Invitation

    fields.setdefault("expires_at", clock.now() + dt.timedelta(days=14))
    return Invitation.objects.create(
        organization=organization or make_organization(),
        email=email or f"invitee{next(_seq)}@example.com",
        role=role,
        invited_by=invited_by,
        **fields,
    )


def make_staff(*, group: str | None = None, **user_fields) -> User:
    """A staff user, in the staff group `group` (salesperson, fulfillment, manager) when given."""
    from django.contrib.auth.models import Group

    user = make_user(is_staff=True, **user_fields)
    if group:
        user.groups.add(Group.objects.get(name=group))
    return user


# --- checkout, orders, payments ---


def make_shipping_method(*, code=None, **fields):
    """A shipping method; flat $5.00 everywhere unless told otherwise."""
    from autosales.pricing.shipping import ShippingMethod

    n = next(_seq)
    fields.setdefault("name", f"Ground {n}")
    fields.setdefault("base_rate", Decimal("5.00"))
    fields.setdefault("transit_days_min", 0)
    fields.setdefault("transit_days_max", 0)
    return ShippingMethod.objects.create(code=code or f"ground-{n}", **fields)


def make_tax_rate(*, country="US", region="", rate_percent="6.25", **fields):
    from autosales.pricing.tax import TaxRate

    fields.setdefault("name", f"Tax {country}{('-' + region) if region else ''}")
    return TaxRate.objects.create(country=country, region=region, rate_percent=Decimal(rate_percent), **fields)


def make_checkout(*, organization=None, user=None, stock=10, price="10.00", **org_fields):
    """An organization with a buyer, a default address, a product in stock and a flat shipping method."""
    from types import SimpleNamespace

    organization = organization or make_organization(**org_fields)
    user = user or make_member(organization=organization)
    product = make_product(price=price, stock=stock)
    return SimpleNamespace(
        organization=organization,
        user=user,
        address=make_address(organization=organization),
        product=product,
        variant=product.variants.get(),
        shipping_method=make_shipping_method(),
    )


def place_test_order(checkout, *, quantity=1, token="tok_approve", kind="card", key=None, variant=None, **overrides):
    """Places an order for `checkout` (see make_checkout) through the real place_order."""
    from autosales.checkout.placement import LineRequest, PaymentRequest, place_order

    variant = variant or checkout.variant
    arguments = {
        "organization": checkout.organization,
        "user": checkout.user,
        "lines": [LineRequest(variant_id=variant.pk, quantity=quantity)],
        "shipping_address": checkout.address,
        "shipping_method": checkout.shipping_method,
        "payment": PaymentRequest(kind=kind, token=token if kind == "card" else ""),
        "idempotency_key": key or f"key-{next(_seq)}",
    }
    arguments.update(overrides)
    return place_order(**arguments)


# --- standing orders ---


def standing_order_form(checkout, **overrides) -> dict:
    """The POST data of the new-standing-order form for `checkout` (see make_checkout): 1,000 every two months."""
    data = {
        "sku": [checkout.variant.sku],
        "quantity": ["1000"],
        "interval": "month",
        "every": "2",
        "weekday": "0",
        "day_of_month": "31",
        "rule": "",
        "start_date": "2027-01-31",
        "end": "never",
        "end_date": "",
        "max_occurrences": "",
        "timezone": "America/Chicago",
        "shipping_address": checkout.address.public_id,
        "shipping_method": checkout.shipping_method.code,
        "payment_kind": "account",
        "payment_token": "",
        "notice_days": "3",
        "stock_policy": "backorder",
        "stock_retry_days": "3",
        "name": "Bulbs for the warehouse",
    }
    data.update(overrides)
    return data


# --- billing ---


def make_account_order(
    *, organization, quantity=1, unit_price="10.00", shipping="5.00", tax="0.00", variant=None, **fields
):
    """An on-account order of one line (of `variant`, else of a made-up SKU), placed now, written directly (no
    checkout): for tests that need many orders."""
    from autosales.core import clock
    from autosales.orders.models import Order, OrderLine

    n = next(_seq)
    subtotal = Decimal(unit_price) * quantity
    fields.setdefault("status", "on_account")
    fields.setdefault("payment_kind", "account")
    order = Order.objects.create(
        organization=organization,
        currency=organization.currency,
        subtotal=subtotal,
        shipping=Decimal(shipping),
        tax=Decimal(tax),
        total=subtotal + Decimal(shipping) + Decimal(tax),
        ship_name="Receiving",
        ship_line1=f"{n} Dock Road",
        ship_city="Springfield",
        ship_postal_code="62701",
        ship_country="US",
        shipping_method_code="ground",
        shipping_method_name="Ground",
        placed_at=clock.now(),
        **fields,
    )
    OrderLine.objects.create(
        order=order,
        variant=variant,
        sku=variant.sku if variant else f"SKU-{n}",
        name=f"{variant.product.name} {variant.name}" if variant else f"Bulb {n}",
        quantity=quantity,
        unit_price=unit_price,
        line_total=subtotal,
    )
    return order


# --- CRM ---


def make_salesperson(**user_fields) -> User:
    from autosales.customers.staff_roles import SALESPERSON

    return make_staff(group=SALESPERSON, **user_fields)


def make_contact(*, organization=None, name=None, **fields):
    from autosales.crm.models import Contact

    n = next(_seq)
    fields.setdefault("email", f"contact{n}@example.com")
    return Contact.objects.create(
        organization=organization or make_organization(), name=name or f"Contact {n}", **fields
    )


def make_task(*, organization=None, owner=None, due_at=None, **fields):
    import datetime as dt

    from autosales.core import clock
    from autosales.crm.models import Task

    organization = organization or make_organization()
    owner = owner or organization.salesperson or make_salesperson()
    fields.setdefault("title", f"Call {organization.name}")
    return Task.objects.create(
        organization=organization, owner=owner, due_at=due_at or clock.now() + dt.timedelta(days=1), **fields
    )


def ship_test_order(order, *, units: int, tracking: str = "1Z999AA10123456784", warehouse=None, **overrides):
    """Ship `units` of the order's only line (from the center that stocks it, unless `warehouse` is given) with
    UPS, as a new staff user unless `actor` is given."""
    from autosales.fulfillment.services import shipment_create

    line = order.lines.get()
    arguments = {
        "order": order,
        "warehouse": warehouse or StockLevel.objects.get(variant_id=line.variant_id).warehouse,
        "lines": {line.pk: units},
        "carrier": "ups",
        "tracking_number": tracking,
    }
    arguments.update(overrides)
    arguments.setdefault("actor", make_staff())
    return shipment_create(**arguments)
