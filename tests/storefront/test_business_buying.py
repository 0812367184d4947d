"""What a business buyer sees at checkout and on the product page: the usual payment preselected, the card
checked at its own step, contract prices beside list prices, no tax for a tax-exempt organization."""

import re
from decimal import Decimal

import pytest

from autosales.orders.models import Order
from autosales.pricing.models import Price, PriceList
from tests.factories import make_checkout, make_tax_rate

pytestmark = pytest.mark.django_db


def _to_payment(client, checkout):
    client.force_login(checkout.user)
    client.post("/cart/add/", {"sku": checkout.variant.sku, "quantity": "2"})
    client.post("/checkout/address/", {"address": checkout.address.public_id})
    client.post("/checkout/shipping/", {"shipping_method": checkout.shipping_method.code})


def _checked(html: str) -> str:
    return re.search(r'name="kind" value="(\w+)" checked', html).group(1)


def test_an_account_customer_starts_with_charge_to_account(client):
    checkout = make_checkout(has_account_terms=True, credit_limit="1000")
    _to_payment(client, checkout)
    assert _checked(client.get("/checkout/payment/").content.decode()) == "account"


def test_a_card_customer_starts_with_the_card(client):
    checkout = make_checkout()
    _to_payment(client, checkout)
    assert _checked(client.get("/checkout/payment/").content.decode()) == "card"


def test_a_card_token_that_cannot_be_a_card_is_refused_at_the_payment_step(client):
    checkout = make_checkout()
    _to_payment(client, checkout)
    response = client.post("/checkout/payment/", {"kind": "card", "payment_token": "tok_typo"})
    assert response.status_code == 400
    assert "Card token: This is not a test-gateway card" in response.content.decode()
    assert client.get("/checkout/")["Location"] == "/checkout/payment/"  # nothing kept


def test_contract_prices_show_beside_the_list_price(client):
    checkout = make_checkout(price="13.99")
    special = PriceList.objects.create(name="Contract", currency="USD")
    special.organizations.add(checkout.organization)
    Price.objects.create(price_list=special, variant=checkout.variant, amount=Decimal("11.89"))
    client.force_login(checkout.user)
    html = client.get(f"/p/{checkout.product.slug}/").content.decode()
    assert re.search(
        r"list <s>\$13\.99</s></span> · <span class=\"your-price\">your price <strong>\$11\.89</strong>", html
    )
    # and a customer without contract prices sees the one price
    client.force_login(make_checkout().user)
    html = client.get(f"/p/{checkout.product.slug}/").content.decode()
    assert "$13.99" in html and "your price" not in html


def test_a_tax_exempt_organization_pays_no_tax_and_the_order_names_its_certificate(client):
    checkout = make_checkout(tax_exemption_certificate="RESALE-IL-0042")
    make_tax_rate(country="US", region="IL", rate_percent="6.25")
    _to_payment(client, checkout)
    client.post("/checkout/payment/", {"kind": "card", "payment_token": "tok_approve"})
    review = client.get("/checkout/review/").content.decode()
    assert "Tax (Tax exempt (certificate RESALE-IL-0042))" in review
    confirm = re.search(r'name="confirm" value="([^"]+)"', review).group(1)
    client.post("/checkout/confirm/", {"confirm": confirm})
    order = Order.objects.get(organization=checkout.organization)
    assert order.tax == 0 and order.total == order.subtotal + order.shipping
    assert order.tax_name == "Tax exempt (certificate RESALE-IL-0042)"
    assert "RESALE-IL-0042" in client.get(f"/orders/{order.public_id}/").content.decode()
