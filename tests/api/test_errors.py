"""Every kind of bad input gets a 4xx in the one error shape, naming the field and the reason."""

import json

import pytest

from autosales.cart.models import CartLine
from autosales.customers.models import ApiToken
from autosales.orders.models import Order
from tests.factories import make_category, make_checkout, make_product, make_user

pytestmark = pytest.mark.django_db


def _error(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"code", "message", "errors"}
    assert body["code"] == code
    assert isinstance(body["message"], str) and body["message"]
    for item in body["errors"]:
        assert set(item) == {"field", "code", "message"}
    return body


def _fields(body: dict) -> list[str]:
    return [e["field"] for e in body["errors"]]


@pytest.fixture
def signed_in(client):
    client.force_login(make_user())
    return client


@pytest.mark.parametrize("path", ["/api/v1/nothing-here", "/api/v1/products/a/b/c", "/api/v1/v2/orders"])
def test_an_unknown_route_is_a_json_404(client, path):
    body = _error(client.get(path), 404, "not_found")
    assert path in body["message"]


def test_a_wrong_method_is_a_json_405_with_the_allowed_methods(client):
    response = client.put("/api/v1/products", data="{}", content_type="application/json")
    body = _error(response, 405, "method_not_allowed")
    assert response["Allow"] == "GET"
    assert "PUT" in body["message"]


def test_the_openapi_document_only_reads(client):
    response = client.post("/api/v1/openapi.json")
    _error(response, 405, "method_not_allowed")
    assert response["Allow"] == "GET, HEAD"


@pytest.mark.parametrize(
    "raw", ["{", '{"name": }', "not json at all", b"\xff\xfe\x00garbage", '{"name": "x",}'], ids=repr
)
def test_a_malformed_json_body_is_400_naming_the_body(signed_in, raw):
    response = signed_in.post("/api/v1/tokens", data=raw, content_type="application/json")
    body = _error(response, 400, "malformed_body")
    assert _fields(body) == ["body"]
    assert body["errors"][0]["code"] == "malformed_json"
    assert not ApiToken.objects.exists()


@pytest.mark.parametrize(
    ("payload", "field", "code"),
    [
        ({"name": ""}, "name", "string_too_short"),
        ({"name": "x" * 101}, "name", "string_too_long"),
        ({"name": 12}, "name", "string_type"),
        ({"name": None}, "name", "string_type"),
    ],
)
def test_a_well_formed_body_with_bad_values_is_422_naming_the_field(signed_in, payload, field, code):
    response = signed_in.post("/api/v1/tokens", data=json.dumps(payload), content_type="application/json")
    body = _error(response, 422, "validation_error")
    assert (body["errors"][0]["field"], body["errors"][0]["code"]) == (field, code)
    assert body["message"].startswith(f"{field}: ")
    assert not ApiToken.objects.exists()


@pytest.mark.parametrize("raw", ["[]", '[{"name": "x"}]', '"a string"', "42", "null", "true"])
def test_a_body_that_is_not_an_object_is_422(signed_in, raw):
    response = signed_in.post("/api/v1/tokens", data=raw, content_type="application/json")
    body = _error(response, 422, "validation_error")
    assert body["errors"] == [{"field": "body", "code": "object_expected", "message": body["errors"][0]["message"]}]
    assert "JSON object" in body["message"]
    assert not ApiToken.objects.exists()


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("page=0", "page"),
        ("page=-3", "page"),
        ("page=abc", "page"),
        ("page=99999999999999999999999", "page"),
        ("page_size=0", "page_size"),
        ("page_size=101", "page_size"),
        ("page_size=1.5", "page_size"),
        ("q=" + "x" * 201, "q"),
        ("category=no-such-category", "category"),
    ],
)
def test_bad_list_parameters_are_422_naming_the_parameter(client, query, field):
    make_product()
    body = _error(client.get(f"/api/v1/products?{query}"), 422, "validation_error")
    assert field in _fields(body)


def test_a_page_past_the_last_is_422_naming_page(client):
    # given 3 products, 2 per page: pages 1 and 2 exist
    category = make_category()
    for _ in range(3):
        make_product(category=category)
    assert client.get("/api/v1/products?page=2&page_size=2").status_code == 200
    # when page 3 is asked for
    body = _error(client.get("/api/v1/products?page=3&page_size=2"), 422, "validation_error")
    # then the error names page and says where the last page is
    assert body["errors"][0]["field"] == "page"
    assert "last page (2)" in body["errors"][0]["message"]


def test_an_empty_catalog_has_a_first_page(client):
    response = client.get("/api/v1/products")
    assert response.status_code == 200
    assert response.json() == {"items": [], "count": 0, "page": 1, "page_size": 20, "next": None}


def test_an_unknown_product_is_a_404_naming_the_slug(client):
    body = _error(client.get("/api/v1/products/no-such-bulb"), 404, "product_not_found")
    assert _fields(body) == ["slug"]


def test_an_inactive_product_is_not_found(client):
    make_product(slug="retired", is_active=False)
    _error(client.get("/api/v1/products/retired"), 404, "product_not_found")


def test_an_unexpected_failure_is_still_the_error_shape(client, monkeypatch):
    # A bug cannot be made to happen on purpose in working code, so one is put in the product lookup.
    def broken(**kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr("autosales.catalog.api.product_by_slug", broken)
    body = _error(client.get("/api/v1/products/anything"), 500, "server_error")
    assert "boom" not in body["message"]


def test_a_locked_database_is_a_503_that_invites_a_retry(client, monkeypatch):
    # SQLite's lock timeout needs a writer held open for 20 s; the lookup raises the same error instead.
    from django.db import OperationalError

    def locked(**kwargs):
        raise OperationalError("database is locked")

    monkeypatch.setattr("autosales.catalog.api.product_by_slug", locked)
    response = client.get("/api/v1/products/anything")
    _error(response, 503, "busy")
    assert response["Retry-After"] == "2"


def test_an_empty_body_where_one_is_expected_is_422_naming_the_body(signed_in):
    response = signed_in.post("/api/v1/tokens", data="", content_type="application/json")
    body = _error(response, 422, "validation_error")
    assert _fields(body) == ["body"]
    assert not ApiToken.objects.exists()


# -- NUL characters in JSON bodies (a 500 on PostgreSQL, stored as is on SQLite, without the parser's check) ---


def test_a_nul_in_a_token_name_is_422_naming_name_and_creates_no_token(signed_in):
    response = signed_in.post("/api/v1/tokens", data=json.dumps({"name": "ERP\x00"}), content_type="application/json")
    body = _error(response, 422, "validation_error")
    assert body["errors"] == [{"field": "name", "code": "nul_character", "message": "contains a NUL character"}]
    assert not ApiToken.objects.exists()


def test_a_nul_in_a_cart_sku_is_422_naming_sku(client):
    variant = make_product().variants.get()
    payload = {"sku": variant.sku + "\x00", "quantity": 1}
    response = client.post("/api/v1/cart/lines", data=json.dumps(payload), content_type="application/json")
    body = _error(response, 422, "validation_error")
    assert _fields(body) == ["sku"]
    assert not CartLine.objects.exists()


def test_a_nul_in_a_checkout_address_is_422_naming_the_nested_field_and_places_nothing(client):
    checkout = make_checkout()
    client.force_login(checkout.user)
    payload = {
        "lines": [{"sku": checkout.variant.sku, "quantity": 1}],
        "shipping_address": {"name": "Pat", "line1": "1 Main St", "city": "Spring\x00field", "country": "US"},
        "shipping_method": checkout.shipping_method.code,
        "payment": {"kind": "card", "token": "tok_approve"},
    }
    response = client.post(
        "/api/v1/checkout", data=json.dumps(payload), content_type="application/json", HTTP_IDEMPOTENCY_KEY="k-1"
    )
    body = _error(response, 422, "validation_error")
    assert _fields(body) == ["shipping_address.city"]
    assert not Order.objects.exists()


def test_a_nul_in_a_list_item_or_a_key_names_where_it_is(signed_in):
    response = signed_in.post(
        "/api/v1/cart/lines", data=json.dumps({"sku": "A", "extra": [{"x\x00": 1}]}), content_type="application/json"
    )
    assert _fields(_error(response, 422, "validation_error")) == ["extra.0"]


# -- Media type, nesting, size -----------------------------------------------------------------------------


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded", "application/xml"])
def test_a_body_that_is_not_declared_json_is_415(signed_in, content_type):
    response = signed_in.post("/api/v1/tokens", data='{"name": "ERP"}', content_type=content_type)
    body = _error(response, 415, "unsupported_media_type")
    assert body["errors"][0]["field"] == "body"
    assert content_type in body["message"]
    assert not ApiToken.objects.exists()


def test_a_json_flavoured_media_type_is_json(signed_in):
    response = signed_in.post("/api/v1/tokens", data='{"name": "ERP"}', content_type="application/merge-patch+json")
    assert response.status_code == 201, response.content


@pytest.mark.parametrize("depth", [40, 100_000])
def test_deeply_nested_json_is_a_400_malformed_body_too_deep(signed_in, depth):
    raw = '{"name": "x", "deep": ' + "[" * depth + "]" * depth + "}"
    response = signed_in.post("/api/v1/tokens", data=raw, content_type="application/json")
    body = _error(response, 400, "malformed_body")
    assert body["errors"][0]["code"] == "too_deep"
    assert not ApiToken.objects.exists()


# -- Quantities are JSON integers: never a boolean, a string or a float -------------------------------------


@pytest.mark.parametrize("quantity", [True, False, "2", 2.0])
def test_a_cart_quantity_that_is_not_an_integer_is_422_naming_quantity(client, quantity):
    variant = make_product().variants.get()
    payload = {"sku": variant.sku, "quantity": quantity}
    response = client.post("/api/v1/cart/lines", data=json.dumps(payload), content_type="application/json")
    assert _fields(_error(response, 422, "validation_error")) == ["quantity"]
    assert not CartLine.objects.exists()


def test_a_boolean_quantity_is_refused_when_changing_a_cart_line(client):
    variant = make_product().variants.get()
    add = {"sku": variant.sku, "quantity": 2}
    client.post("/api/v1/cart/lines", data=json.dumps(add), content_type="application/json")
    response = client.patch(
        f"/api/v1/cart/lines/{variant.sku}", data=json.dumps({"quantity": True}), content_type="application/json"
    )
    assert _fields(_error(response, 422, "validation_error")) == ["quantity"]
    assert CartLine.objects.get().quantity == 2


def test_a_boolean_quantity_is_refused_at_checkout(client):
    checkout = make_checkout()
    client.force_login(checkout.user)
    payload = {
        "lines": [{"sku": checkout.variant.sku, "quantity": True}],
        "shipping_address": {"id": checkout.address.public_id},
        "shipping_method": checkout.shipping_method.code,
        "payment": {"kind": "card", "token": "tok_approve"},
    }
    response = client.post(
        "/api/v1/checkout", data=json.dumps(payload), content_type="application/json", HTTP_IDEMPOTENCY_KEY="k-1"
    )
    assert _fields(_error(response, 422, "validation_error")) == ["lines.0.quantity"]
    assert not Order.objects.exists()


def test_a_boolean_quantity_is_refused_in_a_standing_order(client):
    checkout = make_checkout()
    client.force_login(checkout.user)
    payload = {
        "lines": [{"sku": checkout.variant.sku, "quantity": True}],
        "schedule": {"every": 2, "unit": "month", "day_of_month": 31, "start_date": "2099-01-31"},
        "shipping_address": checkout.address.public_id,
        "shipping_method": checkout.shipping_method.code,
        "payment": {"kind": "account"},
    }
    response = client.post("/api/v1/standing-orders", data=json.dumps(payload), content_type="application/json")
    assert "lines.0.quantity" in _fields(_error(response, 422, "validation_error"))


def test_a_transaction_postgresql_rolled_back_to_end_a_deadlock_is_a_503_other_database_errors_a_500(
    client, monkeypatch
):
    # The errors as Django raises them from psycopg's (its sqlstate on the cause); a real deadlock needs two
    # transactions waiting on each other, which tests/fulfillment/test_concurrency.py now prevents.
    errors = pytest.importorskip("psycopg.errors")
    from django.db import OperationalError

    def failing(cause):
        def lookup(**kwargs):
            raise OperationalError(str(cause)) from cause

        return lookup

    for cause in (errors.DeadlockDetected("deadlock detected"), errors.SerializationFailure("could not serialize")):
        monkeypatch.setattr("autosales.catalog.api.product_by_slug", failing(cause))
        response = client.get("/api/v1/products/anything")
        _error(response, 503, "busy")
    monkeypatch.setattr("autosales.catalog.api.product_by_slug", failing(errors.ConnectionTimeout("timed out")))
    _error(client.get("/api/v1/products/anything"), 500, "server_error")
