"""core/content_security.py: every response carries a Content-Security-Policy the pages work under."""

import re

import pytest

from autosales.core.content_security import content_security_policy
from tests.factories import make_checkout, make_product, make_staff

pytestmark = pytest.mark.django_db


def _directives(response) -> dict[str, list[str]]:
    header = response["Content-Security-Policy"]
    return {name: values for name, *values in (part.split() for part in header.split(";") if part.strip())}


@pytest.mark.parametrize("path", ["/", "/c/", "/api/v1/docs", "/api/v1/products", "/admin/login/"])
def test_pages_the_api_docs_and_the_admin_send_the_policy(client, path):
    make_product()
    response = client.get(path)
    assert response.status_code == 200
    directives = _directives(response)
    assert directives["default-src"] == ["'self'"]
    assert directives["object-src"] == ["'none'"]
    assert "'unsafe-inline'" not in directives["script-src"]
    assert "'unsafe-eval'" not in directives["script-src"]


def test_the_admin_signed_in_sends_the_policy(client):
    client.force_login(make_staff(is_superuser=True))
    assert "script-src 'self'" in client.get("/admin/")["Content-Security-Policy"]


def test_without_stripe_no_third_party_script_is_allowed():
    policy = content_security_policy(stripe=False, stripe_js_url="https://js.stripe.com/v3/", stripe_api_base="")
    directives = policy["DIRECTIVES"]
    assert not any("stripe" in str(value) for values in directives.values() for value in values)


def test_with_stripe_its_card_form_script_frames_and_api_are_allowed():
    policy = content_security_policy(stripe=True, stripe_js_url="https://js.stripe.com/v3/", stripe_api_base="")
    directives = policy["DIRECTIVES"]
    assert "https://js.stripe.com" in directives["script-src"]
    assert {"https://js.stripe.com", "https://hooks.stripe.com"} <= set(directives["frame-src"])
    assert "https://api.stripe.com" in directives["connect-src"]


def test_with_another_stripe_server_its_origins_are_allowed():
    directives = content_security_policy(
        stripe=True, stripe_js_url="http://127.0.0.1:8420/js.stripe.com/v3/", stripe_api_base="http://127.0.0.1:8420"
    )["DIRECTIVES"]
    assert "http://127.0.0.1:8420" in directives["script-src"]
    assert "http://127.0.0.1:8420" in directives["connect-src"]


def test_the_stripe_card_form_page_allows_stripe_js_and_its_inline_script_by_nonce(client, settings):
    # given the Stripe provider, and the policy the settings make for it
    settings.PAYMENT_PROVIDER = "stripe"
    settings.STRIPE_PUBLISHABLE_KEY = "pk_test_page"
    settings.STRIPE_JS_URL = "https://js.stripe.com/v3/"
    settings.CONTENT_SECURITY_POLICY = content_security_policy(
        stripe=True, stripe_js_url=settings.STRIPE_JS_URL, stripe_api_base=""
    )
    checkout = make_checkout()
    client.force_login(checkout.user)
    client.post("/cart/add/", {"sku": checkout.variant.sku, "quantity": "1"})
    client.post("/checkout/address/", {"address": checkout.address.public_id})
    client.post("/checkout/shipping/", {"shipping_method": checkout.shipping_method.code})

    # when the payment step is shown
    response = client.get("/checkout/payment/")

    # then Stripe.js may load and the page's own inline script carries the nonce the header allows
    scripts = _directives(response)["script-src"]
    assert "https://js.stripe.com" in scripts
    nonce = re.search(r'<script nonce="([^"]+)">', response.content.decode()).group(1)
    assert f"'nonce-{nonce}'" in scripts
