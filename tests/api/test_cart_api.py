import json
from decimal import Decimal

import pytest

from autosales.cart.models import CartLine
from autosales.core.cache_versions import PRICES, versions_bump
from autosales.pricing.models import Price, PriceList
from tests.factories import make_member, make_product

pytestmark = pytest.mark.django_db

URL = "/api/v1/cart"


def _post(client, url, body):
    return client.post(url, data=json.dumps(body), content_type="application/json")


def _patch(client, url, body):
    return client.patch(url, data=json.dumps(body), content_type="application/json")


def test_a_guest_adds_changes_and_removes_lines(client):
    # given a product at 9.99 with 10 units
    variant = make_product(price="9.99", stock=10).variants.get()
    # when a guest adds 2 units
    response = _post(client, f"{URL}/lines", {"sku": variant.sku, "quantity": 2})
    # then the cart holds them, priced
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["item_count"] == 2
    assert body["lines"][0]["sku"] == variant.sku
    assert body["lines"][0]["unit_price"] == {"amount": "9.99", "currency": "USD"}
    assert body["subtotal"] == {"amount": "19.98", "currency": "USD"}
    assert body["can_check_out"] is True
    # and the same session reads it back, changes and removes it
    assert client.get(URL).json() == body
    changed = _patch(client, f"{URL}/lines/{variant.sku}", {"quantity": 5}).json()
    assert changed["lines"][0]["quantity"] == 5
    removed = client.delete(f"{URL}/lines/{variant.sku}")
    assert removed.status_code == 200
    assert removed.json()["lines"] == []


def test_the_cart_warns_when_a_quantity_is_more_than_is_available(client):
    variant = make_product(stock=3).variants.get()
    body = _post(client, f"{URL}/lines", {"sku": variant.sku, "quantity": 4}).json()
    assert body["lines"][0]["available"] == 3
    assert "Only 3 available" in body["lines"][0]["warning"]
    assert body["can_check_out"] is False


def test_a_signed_in_buyer_sees_the_organizations_prices(client):
    buyer = make_member()
    organization = buyer.memberships.get().organization
    variant = make_product(price="9.99").variants.get()
    special = PriceList.objects.create(name="Special")
    special.organizations.add(organization)
    Price.objects.create(price_list=special, variant=variant, amount=Decimal("8.00"))
    client.force_login(buyer)
    body = _post(client, f"{URL}/lines", {"sku": variant.sku, "quantity": 1}).json()
    assert body["subtotal"] == {"amount": "8.00", "currency": "USD"}
    assert CartLine.objects.get().cart.organization == organization


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"sku": "X", "quantity": 0}, "quantity"),
        ({"sku": "X", "quantity": -3}, "quantity"),
        ({"sku": "X", "quantity": "many"}, "quantity"),
        ({"sku": "X", "quantity": 10**9}, "quantity"),
        ({"quantity": 1}, "sku"),
        ({"sku": "", "quantity": 1}, "sku"),
    ],
)
def test_bad_input_is_a_422_naming_the_field_and_changes_nothing(client, body, field):
    variant = make_product().variants.get()
    if body.get("sku") == "X":
        body = {**body, "sku": variant.sku}
    response = _post(client, f"{URL}/lines", body)
    assert response.status_code == 422
    assert response.json()["code"] == "validation_error"
    assert response.json()["errors"][0]["field"] == field
    assert not CartLine.objects.exists()


def test_an_unknown_sku_is_a_404_naming_the_sku(client):
    response = _post(client, f"{URL}/lines", {"sku": "NOPE", "quantity": 1})
    assert response.status_code == 404
    assert response.json()["errors"] == [
        {"field": "sku", "code": "variant_not_found", "message": "No product has the SKU 'NOPE'."}
    ]


def test_changing_or_removing_a_line_that_is_not_in_the_cart_is_a_404(client):
    variant = make_product().variants.get()
    assert _patch(client, f"{URL}/lines/{variant.sku}", {"quantity": 2}).status_code == 404
    assert client.delete(f"{URL}/lines/{variant.sku}").status_code == 404
    assert not CartLine.objects.exists()


def test_a_variant_no_longer_sold_cannot_be_added(client):
    variant = make_product().variants.get()
    variant.is_active = False
    variant.save()
    response = _post(client, f"{URL}/lines", {"sku": variant.sku, "quantity": 1})
    assert response.status_code == 400
    assert response.json()["code"] == "variant_not_for_sale"
    assert not CartLine.objects.exists()


def test_one_shoppers_cart_is_not_anothers(client):
    variant = make_product().variants.get()
    client.force_login(make_member())
    _post(client, f"{URL}/lines", {"sku": variant.sku, "quantity": 1})
    client.logout()
    client.force_login(make_member())
    assert client.get(URL).json()["lines"] == []


def test_the_cart_shows_the_old_and_new_price_of_a_line_whose_price_changed(client):
    variant = make_product(price="9.99", stock=10).variants.get()
    _post(client, f"{URL}/lines", {"sku": variant.sku, "quantity": 2})
    before = client.get(URL).json()["lines"][0]
    assert (before["price_seen"], before["price_changed"]) == ({"amount": "9.99", "currency": "USD"}, False)
    Price.objects.filter(variant=variant).update(amount=Decimal("8.49"))
    versions_bump(PRICES)  # as the price admin and the price import do
    [line] = client.get(URL).json()["lines"]
    assert line["price_changed"] is True
    assert line["price_seen"] == {"amount": "9.99", "currency": "USD"}
    assert line["unit_price"] == {"amount": "8.49", "currency": "USD"}
