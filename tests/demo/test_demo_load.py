from decimal import Decimal

import pytest
from django.contrib.auth import authenticate
from django.contrib.auth.models import Group
from django.test import RequestFactory

from autosales.cart.services import order_quantity_problem
from autosales.catalog.models import Category, Product, Variant
from autosales.catalog.selectors import product_search
from autosales.customers.models import Address, Membership, Organization, User
from autosales.demo.data import DEMO_PASSWORD, SIGN_INS, demo_load
from autosales.inventory.models import StockLevel, Warehouse
from autosales.inventory.selectors import available_by_variant
from autosales.orders.models import OrderLine
from autosales.pricing.models import Price, PriceList
from autosales.pricing.selectors import unit_prices
from autosales.recurring.models import StandingOrderLine

pytestmark = pytest.mark.django_db

MODELS = (Category, Product, Variant, Price, PriceList, Warehouse, StockLevel, Organization, Membership, Address, User)


def snapshot() -> dict:
    """Every demo row with its last-change time: equal snapshots mean nothing was written."""
    state = {}
    for model in MODELS:
        field = "updated_at" if hasattr(model, "updated_at") else "password"
        state[model.__name__] = sorted(model.objects.values_list("pk", field))
    state["groups"] = sorted(User.groups.through.objects.values_list("user_id", "group_id"))
    state["price_list_orgs"] = sorted(PriceList.organizations.through.objects.values_list("pk", flat=True))
    return state


def _signin_request():
    """A sign-in request: every password check passes the sign-in throttle, which needs the request."""
    return RequestFactory().post("/account/signin/")


def test_demo_load_builds_a_light_bulb_supplier_catalog():
    # when
    summary = demo_load()

    # then
    slugs = set(Category.objects.values_list("slug", flat=True))
    assert {"led-a-lamps", "reflectors-floods", "candelabra", "t8-tubes", "smart-bulbs", "industrial-high-bay"} <= slugs
    assert 18 <= summary.products <= 26
    assert 55 <= summary.variants <= 65
    for variant in Variant.objects.all():
        assert set(variant.attributes) == {"wattage", "base", "colour_temperature", "pack_size", "lumens"}, variant.sku
    bases = {v.attributes["base"] for v in Variant.objects.all()}
    assert {"E26", "E12", "GU10", "G13"} <= bases
    temperatures = {v.attributes["colour_temperature"] for v in Variant.objects.all()}
    assert {"2700 K", "3000 K", "4000 K", "5000 K"} <= temperatures
    assert Product.objects.filter(is_featured=True).exists()
    # products are findable by their variants' SKUs and attributes: the search index was updated
    assert [p.slug for p in product_search(query="VIN-GU10-6W-40K-10")] == ["gu10-led-spot-50w-equivalent"]
    assert {p.slug for p in product_search(query="E39")} == {"led-corn-bulb-e39-mogul"}


def test_demo_load_prices_every_variant_and_gives_one_business_contract_prices():
    # when
    demo_load()

    # then
    list_prices = PriceList.objects.get(is_default=True)
    assert Price.objects.filter(price_list=list_prices).count() == Variant.objects.count()
    assert not Price.objects.filter(amount__lte=0).exists()
    contract = PriceList.objects.get(is_default=False)
    [customer] = contract.organizations.all()
    assert customer.memberships.filter(user__username="buyer").exists()
    a19 = Variant.objects.get(sku="LUM-A19-9W-27K-4")
    buyer_prices = unit_prices(variant_ids=[a19.pk], organization=customer)
    other = Organization.objects.get(memberships__user__username="buyer2")
    assert buyer_prices[a19.pk].amount < unit_prices(variant_ids=[a19.pk], organization=other)[a19.pk].amount
    assert buyer_prices[a19.pk].amount == Decimal("6.79")  # 15 % off 7.99


def test_demo_load_stocks_two_warehouses_with_some_low_and_one_sold_out():
    # when
    demo_load()

    # then
    assert Warehouse.objects.count() == 2
    variant_ids = list(Variant.objects.values_list("pk", flat=True))
    assert StockLevel.objects.count() == 2 * len(variant_ids)
    available = available_by_variant(variant_ids=variant_ids)
    sold_out = [pk for pk in variant_ids if available.get(pk, 0) == 0]
    low = [pk for pk in variant_ids if 0 < available.get(pk, 0) <= 5]
    assert len(sold_out) == 1
    assert len(low) == 3
    assert sum(1 for pk in variant_ids if available.get(pk, 0) >= 100) > 40


def test_demo_load_creates_five_business_customers_on_account_terms():
    # when
    demo_load()

    # then
    # (the CRM's prospect is a business too, without members or terms: not a customer yet)
    businesses = Organization.objects.filter(kind=Organization.Kind.BUSINESS, memberships__isnull=False).distinct()
    assert businesses.count() == 5
    sales = User.objects.get(username="sales")
    for business in businesses:
        assert 1 <= business.memberships.count() <= 3, business.name
        assert business.has_account_terms and business.payment_terms_days == 30
        assert business.credit_limit > 0
        assert business.salesperson == sales
        assert business.addresses.filter(is_default=True).count() == 1
    assert businesses.filter(credit_hold=True).count() == 1
    buyer_org = Organization.objects.get(memberships__user__username="buyer")
    buyer2_org = Organization.objects.get(memberships__user__username="buyer2")
    assert buyer_org != buyer2_org
    assert not buyer_org.credit_hold and not buyer2_org.credit_hold
    # one customer reads its emails in the demo's second language
    assert dict(businesses.values_list("name", "language"))["Summit School District"] == "es"
    assert buyer_org.language == ""


def test_demo_load_creates_a_private_shopper_with_an_address():
    # when
    demo_load()

    # then
    [organization] = Organization.objects.filter(memberships__user__username="shopper")
    assert organization.kind == Organization.Kind.PRIVATE
    assert not organization.has_account_terms
    assert organization.addresses.get(is_default=True).city == "Springfield"


def test_demo_load_creates_staff_in_their_groups():
    # when
    demo_load()

    # then
    groups = {u.username: set(u.groups.values_list("name", flat=True)) for u in User.objects.filter(is_staff=True)}
    assert groups == {"sales": {"salesperson"}, "clerk": {"fulfillment"}, "manager": {"manager"}}
    manager = User.objects.get(username="manager")
    assert not manager.is_superuser
    # the manager's rights come from the group: catalog, prices and customers are editable
    assert manager.has_perms(["catalog.change_product", "pricing.change_price", "customers.change_organization"])
    assert Group.objects.get(name="manager").permissions.exists()


def test_every_printed_sign_in_works_with_the_demo_password():
    # given
    demo_load()

    # when / then
    for sign_in in SIGN_INS:
        assert authenticate(_signin_request(), username=sign_in.username, password=DEMO_PASSWORD) is not None, (
            sign_in.username
        )


def test_demo_load_twice_changes_nothing():
    # given
    first = demo_load()
    before = snapshot()

    # when
    second = demo_load()

    # then
    assert first.created > 100
    assert second.created == 0
    assert snapshot() == before
    assert (second.products, second.variants, second.users) == (first.products, first.variants, first.users)


def test_demo_load_keeps_what_people_changed_while_trying_the_demo():
    # given
    demo_load()
    level = StockLevel.objects.order_by("pk").first()
    level.on_hand = 7
    level.save()
    northwind = Organization.objects.get(memberships__user__username="buyer")
    northwind.credit_limit = Decimal("1234.00")
    northwind.save()
    buyer = User.objects.get(username="buyer")
    buyer.set_password("a-new-password-42")
    buyer.save()

    # when
    demo_load()

    # then
    level.refresh_from_db()
    northwind.refresh_from_db()
    assert level.on_hand == 7
    assert northwind.credit_limit == Decimal("1234.00")
    assert authenticate(_signin_request(), username="buyer", password="a-new-password-42") is not None


def test_demo_load_gives_the_salesperson_a_crm():
    from autosales.crm.models import Activity, Contact, Task
    from autosales.crm.selectors import my_tasks

    demo_load()
    again = demo_load()

    assert again.created == 0
    sales = User.objects.get(username="sales")
    harbor = Organization.objects.get(name="Harbor View Hotels")
    assert harbor.crm_profile.industry == "Hotels"
    people = Contact.objects.filter(organization=harbor)
    assert people.filter(user__isnull=False).count() == 3 and people.filter(user__isnull=True).count() == 1
    assert Activity.objects.filter(organization=harbor, kind="visit").exists()
    tasks = my_tasks(user=sales)
    assert tasks.overdue and tasks.upcoming
    assert Task.objects.filter(recurrence__startswith="FREQ=MONTHLY").exists()
    assert not Organization.objects.get(name="Lakeview Marina").orders.exists()


def test_demo_load_sets_up_automation_rules_and_a_chain():
    from autosales.crm.automation import rule_settings
    from autosales.crm.models import RuleStep

    demo_load()

    settings = rule_settings()
    assert settings["first_order"].emails and settings["invoice_overdue"].days == 10
    assert RuleStep.objects.filter(rule="order_delivered", outcome="no_answer").exists()


def test_demo_load_gives_regular_customers_whose_reorders_come_due():
    from autosales.core import clock
    from autosales.crm.automation import automation_run
    from autosales.crm.models import ReorderPrediction, Task
    from autosales.crm.reorder import customers_due_to_reorder

    demo_load()
    assert demo_load().created == 0

    regular = ReorderPrediction.objects.filter(variant__isnull=False, confidence__gte=0.5)
    assert {p.organization.name for p in regular} >= {"Northwind Facilities Management", "Harbor View Hotels"}
    sales = User.objects.get(username="sales")
    due = {d.organization.name for d in customers_due_to_reorder(user=sales, now=clock.now())}
    assert "Harbor View Hotels" in due  # a few days late; Northwind is on a standing order for its bulbs

    automation_run(now=clock.now())
    titles = set(Task.objects.filter(rule__in=["reorder_due", "lapsing"]).values_list("title", flat=True))
    assert any(t.startswith("Call Northwind Facilities Management: they usually reorder T8") for t in titles)
    assert any(t.startswith("Call Harbor View Hotels: they usually reorder PAR30") for t in titles)
    assert any(t.startswith("Win back Summit School District") for t in titles)


def test_demo_load_sells_a_few_variants_in_packs_or_with_a_minimum_and_its_orders_keep_to_them():
    # when
    demo_load()

    # then a few variants are sold by the case or with a minimum
    ruled = {v.sku: (v.min_quantity, v.pack_size) for v in Variant.objects.all() if v.has_quantity_rule}
    assert ruled["LUM-A19-9W-27K-4"] == (1, 6)
    assert ruled["BW-T8PP-12W-50K-10"] == (10, 1)
    assert 3 <= len(ruled) < Variant.objects.count() // 2
    # and the standing orders and the order history keep to them
    lines = [*StandingOrderLine.objects.select_related("variant"), *OrderLine.objects.select_related("variant")]
    assert {line.variant.sku for line in lines} & set(ruled)
    assert [
        (line.variant.sku, line.quantity)
        for line in lines
        if order_quantity_problem(variant=line.variant, quantity=line.quantity)
    ] == []
