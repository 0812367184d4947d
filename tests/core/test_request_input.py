"""core/http/middleware.py: a NUL character or an oversized body is refused before any view reads it, naming
the field, on SQLite and PostgreSQL alike (PostgreSQL cannot store a NUL: without the check it is a 500 there)."""

import json

import pytest
from django.test import override_settings

from autosales.cart.models import CartLine
from autosales.customers.models import Address, ApiToken
from tests.factories import make_checkout, make_member, make_product

pytestmark = pytest.mark.django_db


def _page_error(response, status: int, field: str) -> str:
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("text/html")
    text = response.content.decode()
    assert f"“{field}”" in text
    return text


def _api_error(response, status: int, code: str, field: str) -> dict:
    assert response.status_code == status, response.content
    body = response.json()
    assert set(body) == {"code", "message", "errors"}
    assert body["code"] == code
    assert [(e["field"], e["code"]) for e in body["errors"]] == [(field, body["errors"][0]["code"])]
    return body


# -- Pages ---------------------------------------------------------------------------------------------


def test_a_nul_in_the_search_words_is_a_400_page_naming_q(client):
    make_product(name="A19 bulb")
    text = _page_error(client.get("/search/", {"q": "bulb\x00"}), 400, "q")
    assert "NUL character" in text


def test_a_nul_in_the_sku_added_to_the_cart_is_a_400_page_and_adds_nothing(client):
    variant = make_product().variants.get()
    _page_error(client.post("/cart/add/", {"sku": variant.sku + "\x00", "quantity": "1"}), 400, "sku")
    assert not CartLine.objects.exists()


def test_a_nul_in_an_order_id_in_the_path_is_a_400_page_naming_it(client):
    client.force_login(make_member())
    _page_error(client.get("/orders/k2m9x7p1%00/"), 400, "public_id")


def test_a_nul_in_a_checkout_address_is_a_400_page_and_saves_no_address(client):
    checkout = make_checkout()
    client.force_login(checkout.user)
    client.post("/cart/add/", {"sku": checkout.variant.sku, "quantity": "1"})
    before = Address.objects.count()
    data = {
        "address": "new",
        "new-name": "Pat Buyer",
        "new-line1": "1 Main\x00 St",
        "new-city": "Springfield",
        "new-region": "IL",
        "new-postal_code": "62701",
        "new-country": "US",
    }
    _page_error(client.post("/checkout/address/", data), 400, "new-line1")
    assert Address.objects.count() == before


def test_a_nul_in_a_form_field_name_is_refused_too(client):
    _page_error(client.get("/search/", {"q\x00": "bulb"}), 400, "q")


@override_settings(DATA_UPLOAD_MAX_MEMORY_SIZE=1000)
def test_a_form_body_over_the_limit_is_a_413_page(client):
    response = client.post("/cart/add/", {"sku": "x" * 2000, "quantity": "1"})
    assert response.status_code == 413
    assert response["Content-Type"].startswith("text/html")
    assert not CartLine.objects.exists()


# -- API: query strings and paths -------------------------------------------------------------------------


def test_a_nul_in_an_api_search_is_a_422_naming_q(client):
    make_product()
    body = _api_error(client.get("/api/v1/products", {"q": "bulb\x00"}), 422, "validation_error", "q")
    assert body["errors"][0]["code"] == "nul_character"
    assert body["message"] == "q: contains a NUL character"


def test_a_nul_in_an_api_path_id_is_a_422_naming_the_parameter(client):
    client.force_login(make_member())
    _api_error(client.get("/api/v1/orders/k2m9x7p1%00"), 422, "validation_error", "public_id")


def test_a_nul_in_an_api_path_that_names_no_operation_names_the_path(client):
    _api_error(client.get("/api/v1/nothing%00here/x/y"), 422, "validation_error", "path")


@override_settings(DATA_UPLOAD_MAX_MEMORY_SIZE=1000)
def test_an_api_body_over_the_limit_is_a_413_in_the_error_shape(client):
    client.force_login(make_member())
    body = json.dumps({"name": "x" * 2000})
    response = client.post("/api/v1/tokens", data=body, content_type="application/json")
    error = _api_error(response, 413, "body_too_large", "body")
    assert "1000 bytes" in error["message"]
    assert not ApiToken.objects.exists()
