from decimal import Decimal

import pytest
from django.core import checks
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from autosales.catalog.models import Product
from autosales.inventory.admin import StockLevelForm
from autosales.inventory.models import StockLevel
from autosales.pricing.models import Price
from tests.factories import make_category, make_product, make_user

pytestmark = pytest.mark.django_db

CHANGELISTS = [
    "admin:catalog_product_changelist",
    "admin:catalog_variant_changelist",
    "admin:catalog_category_changelist",
    "admin:pricing_price_changelist",
    "admin:pricing_pricelist_changelist",
    "admin:inventory_stocklevel_changelist",
    "admin:inventory_warehouse_changelist",
]


@pytest.fixture
def admin_client(client):
    client.force_login(make_user(username="boss", is_staff=True, is_superuser=True))
    return client


def queries_for(client, url, **params) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url, params)
    assert response.status_code == 200, url
    return len(ctx.captured_queries)


def test_admin_configuration_passes_django_checks():
    errors = [e for e in checks.run_checks(tags=[checks.Tags.admin]) if e.level >= checks.ERROR]
    assert errors == []


@pytest.mark.parametrize("name", CHANGELISTS)
def test_changelists_take_a_constant_number_of_queries(admin_client, name):
    # given: 3 products in 3 categories
    for _ in range(3):
        make_product(variants=2)
    url = reverse(name)
    few = queries_for(admin_client, url)

    # when: 30 more
    for _ in range(30):
        make_product(variants=2)
    many = queries_for(admin_client, url)

    # then
    assert many == few


def test_product_changelist_finds_by_name_and_by_exact_sku(admin_client):
    # given
    wanted = make_product(name="Edison filament")
    make_product(name="Halogen capsule")
    sku = wanted.variants.get().sku
    url = reverse("admin:catalog_product_changelist")

    # when
    by_name = admin_client.get(url, {"q": "edison"}).content.decode()
    by_sku = admin_client.get(url, {"q": sku}).content.decode()

    # then
    assert "Edison filament" in by_name and "Halogen capsule" not in by_name
    assert "Edison filament" in by_sku and "Halogen capsule" not in by_sku


def test_product_changelist_filters_by_category_and_state(admin_client):
    # given
    lamps = make_category(name="Lamps")
    make_product(name="Desk lamp", category=lamps)
    make_product(name="Off sale lamp", category=lamps, is_active=False)
    make_product(name="Tube")
    url = reverse("admin:catalog_product_changelist")

    # when
    page = admin_client.get(url, {"category__id__exact": lamps.id, "is_active__exact": 1}).content.decode()

    # then
    assert "Desk lamp" in page
    assert "Off sale lamp" not in page and "Tube" not in page


def test_saving_a_product_with_a_new_variant_in_the_admin_reindexes_it(admin_client):
    # given
    product = make_product(name="Globe")
    variant = product.variants.get()
    url = reverse("admin:catalog_product_change", args=[product.id])
    data = {
        "name": "Globe",
        "slug": product.slug,
        "category": product.category_id,
        "brand": "",
        "description": "",
        "is_active": "on",
        "images-TOTAL_FORMS": "0",
        "images-INITIAL_FORMS": "0",
        "variants-TOTAL_FORMS": "2",
        "variants-INITIAL_FORMS": "1",
        "variants-MIN_NUM_FORMS": "0",
        "variants-MAX_NUM_FORMS": "1000",
        "variants-0-id": variant.id,
        "variants-0-product": product.id,
        "variants-0-sku": variant.sku,
        "variants-0-name": variant.name,
        "variants-0-attributes": "{}",
        "variants-0-weight_grams": "0",
        "variants-0-min_quantity": "1",
        "variants-0-pack_size": "1",
        "variants-0-position": "0",
        "variants-0-is_active": "on",
        "variants-1-product": product.id,
        "variants-1-sku": "GLB-SMART-1",
        "variants-1-name": "Smart",
        "variants-1-attributes": '{"protocol": "Zigbee"}',
        "variants-1-weight_grams": "40",
        "variants-1-min_quantity": "24",
        "variants-1-pack_size": "12",
        "variants-1-position": "1",
        "variants-1-is_active": "on",
    }

    # when
    response = admin_client.post(url, data)

    # then
    assert response.status_code == 302
    product.refresh_from_db()
    assert "GLB-SMART-1" in product.search_document and "Zigbee" in product.search_document
    # and the new variant is sold in packs of 12, at least 24
    smart = product.variants.get(sku="GLB-SMART-1")
    assert (smart.min_quantity, smart.pack_size) == (24, 12)


@pytest.mark.parametrize(("field", "value"), [("pack_size", "0"), ("min_quantity", "0"), ("pack_size", "100001")])
def test_a_pack_size_or_minimum_outside_1_to_the_line_limit_is_refused_on_its_field(admin_client, field, value):
    # given a variant sold one unit at a time
    variant = make_product().variants.get()
    data = {
        "product": variant.product_id,
        "sku": variant.sku,
        "name": variant.name,
        "attributes": "{}",
        "weight_grams": "0",
        "min_quantity": "1",
        "pack_size": "1",
        "position": "0",
        "is_active": "on",
        "prices-TOTAL_FORMS": "0",
        "prices-INITIAL_FORMS": "0",
        "stock_levels-TOTAL_FORMS": "0",
        "stock_levels-INITIAL_FORMS": "0",
        field: value,
    }
    # when the admin saves it with a bad value
    response = admin_client.post(reverse("admin:catalog_variant_change", args=[variant.id]), data)
    # then the form names the field and nothing changes
    assert response.status_code == 200
    assert field in response.context["adminform"].form.errors
    variant.refresh_from_db()
    assert (variant.min_quantity, variant.pack_size) == (1, 1)


def test_stock_below_allocated_is_refused_with_the_reason(admin_client):
    # given
    variant = make_product(stock=10).variants.get()
    stock = StockLevel.objects.get(variant=variant)
    StockLevel.objects.filter(id=stock.id).update(allocated=6)
    url = reverse("admin:inventory_stocklevel_change", args=[stock.id])

    # when
    response = admin_client.post(url, {"on_hand": "2"})

    # then: the form says why, nothing changed
    assert response.status_code == 200
    assert "6 units are allocated to orders" in response.content.decode()
    stock.refresh_from_db()
    assert stock.on_hand == 10


def test_saving_stock_in_the_admin_never_overwrites_allocations():
    # given: the admin form read the row when 2 units were allocated; an order allocates 3 more meanwhile
    variant = make_product(stock=10).variants.get()
    StockLevel.objects.filter(variant=variant).update(allocated=2)
    stock = StockLevel.objects.get(variant=variant)
    form = StockLevelForm(
        data={"warehouse": stock.warehouse_id, "variant": variant.id, "on_hand": "12"}, instance=stock
    )
    assert form.is_valid(), form.errors
    StockLevel.objects.filter(id=stock.id).update(allocated=5)

    # when
    form.save()

    # then
    stock.refresh_from_db()
    assert (stock.on_hand, stock.allocated) == (12, 5)


def test_negative_price_is_refused(admin_client):
    # given
    price = Price.objects.select_related("variant").get(variant__product=make_product(price="5.00"))
    url = reverse("admin:pricing_price_change", args=[price.id])

    # when
    response = admin_client.post(url, {"price_list": price.price_list_id, "variant": price.variant_id, "amount": "-1"})

    # then
    assert response.status_code == 200
    price.refresh_from_db()
    assert price.amount == Decimal("5.00")


def test_feature_action_features_the_selected_products(admin_client):
    # given
    product = make_product()

    # when
    admin_client.post(
        reverse("admin:catalog_product_changelist"),
        {"action": "feature", "_selected_action": [product.id]},
    )

    # then
    assert Product.objects.get(id=product.id).is_featured
