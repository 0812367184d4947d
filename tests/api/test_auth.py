"""Who may call the API: a bearer token, a signed-in session with CSRF on unsafe methods, or nobody."""

import json

import pytest
from django.middleware.csrf import _get_new_csrf_string
from django.test import Client

from autosales.customers.models import ApiToken
from autosales.customers.tokens import token_create, token_revoke
from tests.factories import make_member, make_product, make_user

pytestmark = pytest.mark.django_db

TOKENS = "/api/v1/tokens"


def _bearer(raw: str) -> dict:
    return {"HTTP_AUTHORIZATION": f"Bearer {raw}"}


def _assert_error(response, status: int, code: str):
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"code", "message", "errors"}
    assert body["code"] == code
    assert body["message"]
    return body


def test_a_bearer_token_authenticates_its_user(client):
    # given a user with a token
    user = make_user()
    raw = token_create(user=user, name="ERP")
    # when the token lists the user's tokens
    response = client.get(TOKENS, **_bearer(raw))
    # then it is the user's list
    assert response.status_code == 200, response.content
    assert [t["name"] for t in response.json()] == ["ERP"]


def test_without_credentials_a_signed_in_operation_is_401_in_the_error_shape(client):
    body = _assert_error(client.get(TOKENS), 401, "not_authenticated")
    assert "Bearer" in body["message"]


@pytest.mark.parametrize("header", ["Bearer nonsense", "Bearer ", "bearer as_abcdefgh_" + "x" * 43])
def test_a_bad_bearer_token_is_refused_even_where_anonymous_callers_are_welcome(client, header):
    # given a public operation (the catalog)
    make_product()
    # when a caller sends a token that is not valid
    response = client.get("/api/v1/products", HTTP_AUTHORIZATION=header)
    # then it is refused rather than served as anonymous
    body = _assert_error(response, 401, "not_authenticated")
    assert "not valid" in body["message"]
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_a_revoked_token_is_refused(client):
    user = make_user()
    raw = token_create(user=user)
    assert client.get(TOKENS, **_bearer(raw)).status_code == 200
    token_revoke(token_id=ApiToken.objects.get(user=user).id)
    _assert_error(client.get(TOKENS, **_bearer(raw)), 401, "not_authenticated")


def test_a_session_reads_without_csrf(client):
    user = make_user()
    client.force_login(user)
    assert client.get(TOKENS).status_code == 200


def test_a_session_write_without_the_csrf_token_is_refused_and_changes_nothing():
    # given a signed-in browser session that enforces CSRF like a real browser
    browser = Client(enforce_csrf_checks=True)
    user = make_user()
    browser.force_login(user)
    # when it posts without the CSRF token
    response = browser.post(TOKENS, data=json.dumps({"name": "x"}), content_type="application/json")
    # then it is refused and no token is made
    body = _assert_error(response, 403, "csrf_failed")
    assert "X-CSRFToken" in body["message"]
    assert not ApiToken.objects.exists()


def test_a_session_write_with_the_csrf_token_goes_through():
    # given a signed-in browser session holding the csrftoken cookie
    browser = Client(enforce_csrf_checks=True)
    user = make_user()
    browser.force_login(user)
    secret = _get_new_csrf_string()  # what Django puts in the csrftoken cookie of every form page
    browser.cookies["csrftoken"] = secret
    # when it posts with the X-CSRFToken header
    response = browser.post(
        TOKENS, data=json.dumps({"name": "laptop"}), content_type="application/json", HTTP_X_CSRFTOKEN=secret
    )
    # then the token is created and shown once
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["name"] == "laptop"
    assert body["token"].startswith(body["prefix"] + "_")
    assert ApiToken.objects.filter(user=user, prefix=body["prefix"]).exists()


def test_a_bearer_write_needs_no_csrf_token():
    # given a token (an integrator's program has no cookies, so CSRF does not apply)
    machine = Client(enforce_csrf_checks=True)
    user = make_user()
    raw = token_create(user=user)
    prefix = ApiToken.objects.get(user=user).prefix
    # when it revokes its own token by DELETE
    response = machine.delete(f"{TOKENS}/{prefix}", **_bearer(raw))
    # then it works without any CSRF token
    assert response.status_code == 200, response.content
    assert response.json()["revoked_at"] is not None


def test_a_token_cannot_mint_new_tokens(client):
    # a leaked token must not breed: only a signed-in person creates tokens
    raw = token_create(user=make_user())
    response = client.post(TOKENS, data=json.dumps({"name": "more"}), content_type="application/json", **_bearer(raw))
    _assert_error(response, 401, "not_authenticated")
    assert ApiToken.objects.count() == 1


def test_nobody_revokes_another_users_token(client):
    # given two users, each with a token
    owner, other = make_user(), make_user()
    token_create(user=owner)
    owner_prefix = ApiToken.objects.get(user=owner).prefix
    raw = token_create(user=other)
    # when the other user tries to revoke the owner's token
    response = client.delete(f"{TOKENS}/{owner_prefix}", **_bearer(raw))
    # then it is not found for them, and the token stays active
    _assert_error(response, 404, "token_not_found")
    assert ApiToken.objects.get(user=owner).revoked_at is None


def test_a_customer_token_sees_the_organizations_prices(client):
    # given a business buyer with a token
    buyer = make_member()
    raw = token_create(user=buyer)
    make_product(slug="a19", stock=7)
    # when the buyer reads a product with the token
    variant = client.get("/api/v1/products/a19", **_bearer(raw)).json()["variants"][0]
    # then the quantity available is shown (it is hidden from anonymous callers)
    assert variant["available"] == 7
    assert client.get("/api/v1/products/a19").json()["variants"][0]["available"] is None
