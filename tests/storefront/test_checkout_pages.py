"""The checkout pages, from the cart to the confirmation number, with every refusal the pages show."""

import re
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse

from autosales.cart.models import CartLine
from autosales.core.cache_versions import DELIVERY, versions_bump
from autosales.customers.models import Address
from autosales.inventory.models import StockLevel
from autosales.notifications.models import OutboxEmail
from autosales.orders.models import Order, OrderStatus
from autosales.payments.models import Payment, TestGatewayCharge
from autosales.pricing.models import Price
from tests.factories import (
    make_address,
    make_checkout,
    make_product,
    make_shipping_method,
    make_staff,
    make_tax_rate,
    make_user,
)

pytestmark = pytest.mark.django_db


def _with_cart(client, checkout, quantity=2):
    client.force_login(checkout.user)
    client.post("/cart/add/", {"sku": checkout.variant.sku, "quantity": str(quantity)})


def _through_to_review(client, checkout, *, kind="card", token="tok_approve", reference=""):
    assert client.post("/checkout/address/", {"address": checkout.address.public_id}).status_code == 302
    assert client.post("/checkout/shipping/", {"shipping_method": checkout.shipping_method.code}).status_code == 302
    response = client.post(
        "/checkout/payment/", {"kind": kind, "payment_token": token, "customer_reference": reference}
    )
    assert response.status_code == 302, response.content.decode()
    return client.get("/checkout/review/")


def _confirm_value(response) -> str:
    return re.search(r'name="confirm" value="([^"]+)"', response.content.decode()).group(1)


def test_a_buyer_checks_out_by_card_and_gets_the_confirmation_number_page_and_email(client, smtp_server):
    # given a buyer with 2 units at $10.00 in the cart, $5.00 shipping and 6.25 % Illinois tax
    checkout = make_checkout()
    make_tax_rate(country="US", region="IL", rate_percent="6.25")
    _with_cart(client, checkout, quantity=2)

    # when they go through the steps
    assert client.get("/checkout/")["Location"] == "/checkout/address/"
    assert checkout.address.line1 in client.get("/checkout/address/").content.decode()
    client.post("/checkout/address/", {"address": checkout.address.public_id})
    shipping_page = client.get("/checkout/shipping/").content.decode()
    assert checkout.shipping_method.name in shipping_page and "$5.00" in shipping_page
    client.post("/checkout/shipping/", {"shipping_method": checkout.shipping_method.code})
    payment_page = client.get("/checkout/payment/").content.decode()
    assert "tok_approve" in payment_page and "tok_decline" in payment_page
    client.post("/checkout/payment/", {"kind": "card", "payment_token": "tok_approve", "customer_reference": "PO-7"})
    review = client.get("/checkout/review/")
    html = review.content.decode()

    # then the review shows lines, shipping, tax and total
    for text in (checkout.variant.sku, "$20.00", "$5.00", "$1.25", "$26.25", "PO-7"):
        assert text in html

    # when they confirm
    response = client.post("/checkout/confirm/", {"confirm": _confirm_value(review)})

    # then one paid order exists and the page shows its confirmation number
    order = Order.objects.get()
    assert order.status == OrderStatus.PAID
    assert (order.total, order.customer_reference) == (Decimal("26.25"), "PO-7")
    assert response["Location"] == f"/orders/{order.public_id}/confirmation/"
    page = client.get(response["Location"]).content.decode()
    shown = re.search(r'id="confirmation-number"[^>]*>([^<]+)<', page).group(1)
    assert shown == order.number_display
    # and the ordered lines left the cart
    assert not CartLine.objects.exists()
    # and the confirmation email read back from the SMTP server carries the same number
    messages = smtp_server.deliver()
    [message] = [m for m in messages if m["To"] == checkout.user.email]
    assert shown in message["Subject"]
    assert shown in message.get_body(preferencelist=("plain",)).get_content()


def test_a_guest_is_asked_to_sign_in_and_keeps_the_cart(client):
    variant = make_product().variants.get()
    client.post("/cart/add/", {"sku": variant.sku, "quantity": "1"})
    response = client.get("/checkout/")
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('storefront:signin')}?next=/checkout/"
    assert client.get("/checkout/review/")["Location"].startswith(reverse("storefront:signin"))
    assert CartLine.objects.get().quantity == 1


def test_a_user_without_an_organization_is_told_why_they_cannot_check_out(client):
    client.force_login(make_user())
    response = client.get("/checkout/address/")
    assert response.status_code == 403
    assert "not linked to a customer account" in response.content.decode()


def test_an_empty_cart_or_a_line_over_stock_goes_back_to_the_cart(client):
    checkout = make_checkout(stock=2)
    client.force_login(checkout.user)
    assert client.get("/checkout/address/")["Location"] == "/cart/"
    client.post("/cart/add/", {"sku": checkout.variant.sku, "quantity": "3"})
    assert client.get("/checkout/address/")["Location"] == "/cart/"


def test_a_new_address_is_validated_naming_the_field_and_nothing_is_saved(client):
    checkout = make_checkout()
    _with_cart(client, checkout)
    response = client.post(
        "/checkout/address/",
        {
            "address": "new",
            "new-name": "Pat",
            "new-line1": "1 Elm St",
            "new-city": "Springfield",
            "new-region": "IL",
            "new-postal_code": "ABC",
            "new-country": "US",
        },
    )
    assert response.status_code == 400
    assert "is not a valid postal code for United States" in response.content.decode()
    assert Address.objects.count() == 1


def test_a_new_valid_address_joins_the_address_book_and_is_used(client):
    checkout = make_checkout()
    _with_cart(client, checkout)
    response = client.post(
        "/checkout/address/",
        {
            "address": "new",
            "new-name": "Pat",
            "new-line1": "1 Elm St",
            "new-city": "Springfield",
            "new-region": "IL",
            "new-postal_code": "62702",
            "new-country": "US",
        },
    )
    assert response["Location"] == "/checkout/shipping/"
    new = Address.objects.get(line1="1 Elm St")
    assert new.organization == checkout.organization
    assert "1 Elm St" in client.get("/checkout/shipping/").content.decode()


def test_another_organizations_address_is_a_404(client):
    checkout = make_checkout()
    _with_cart(client, checkout)
    theirs = make_address()
    response = client.post("/checkout/address/", {"address": theirs.public_id})
    assert response.status_code == 404
    assert "No such address" in response.content.decode()


def test_a_shipping_method_must_be_chosen_from_the_list(client):
    checkout = make_checkout()
    _with_cart(client, checkout)
    client.post("/checkout/address/", {"address": checkout.address.public_id})
    response = client.post("/checkout/shipping/", {"shipping_method": "teleport"})
    assert response.status_code == 400
    assert "Shipping method: choose one of the methods listed." in response.content.decode()


def test_a_card_needs_a_token(client):
    checkout = make_checkout()
    _with_cart(client, checkout)
    client.post("/checkout/address/", {"address": checkout.address.public_id})
    client.post("/checkout/shipping/", {"shipping_method": checkout.shipping_method.code})
    response = client.post("/checkout/payment/", {"kind": "card", "payment_token": ""})
    assert response.status_code == 400
    assert "Card token: Enter your card" in response.content.decode()


def test_charge_to_account_is_refused_with_the_reason_without_account_terms(client):
    checkout = make_checkout()
    _with_cart(client, checkout)
    client.post("/checkout/address/", {"address": checkout.address.public_id})
    client.post("/checkout/shipping/", {"shipping_method": checkout.shipping_method.code})
    page = client.get("/checkout/payment/").content.decode()
    assert "Charging to an account needs account terms" in page
    response = client.post("/checkout/payment/", {"kind": "account"})
    assert response.status_code == 400
    assert "Charging to an account needs account terms" in response.content.decode()


def test_an_organization_on_credit_hold_is_told_so(client):
    checkout = make_checkout(has_account_terms=True, credit_limit=Decimal("1000"), credit_hold=True)
    _with_cart(client, checkout)
    client.post("/checkout/address/", {"address": checkout.address.public_id})
    client.post("/checkout/shipping/", {"shipping_method": checkout.shipping_method.code})
    response = client.post("/checkout/payment/", {"kind": "account"})
    assert response.status_code == 400
    assert "on credit hold" in response.content.decode()


def test_a_buyer_with_account_terms_charges_the_order_to_the_account(client):
    checkout = make_checkout(has_account_terms=True, credit_limit=Decimal("1000"))
    _with_cart(client, checkout)
    review = _through_to_review(client, checkout, kind="account", token="")
    assert "Charge to my account" in review.content.decode()
    client.post("/checkout/confirm/", {"confirm": _confirm_value(review)})
    order = Order.objects.get()
    assert order.status == OrderStatus.ON_ACCOUNT
    assert not Payment.objects.exists()


def test_an_order_over_the_credit_limit_is_refused_with_the_reason_and_holds_nothing(client):
    checkout = make_checkout(has_account_terms=True, credit_limit=Decimal("15"))
    _with_cart(client, checkout, quantity=2)
    review = _through_to_review(client, checkout, kind="account", token="")
    response = client.post("/checkout/confirm/", {"confirm": _confirm_value(review)})
    assert response.status_code == 400
    assert "over your available credit" in response.content.decode()
    assert not Order.objects.exists()
    assert StockLevel.objects.get(variant=checkout.variant).allocated == 0


def test_a_double_clicked_confirm_makes_one_order_and_one_charge(client):
    # given a review page
    checkout = make_checkout()
    _with_cart(client, checkout)
    confirm = _confirm_value(_through_to_review(client, checkout))
    # when its Confirm button is sent twice
    first = client.post("/checkout/confirm/", {"confirm": confirm})
    second = client.post("/checkout/confirm/", {"confirm": confirm})
    # then both land on the one order's confirmation
    order = Order.objects.get()
    assert first["Location"] == second["Location"] == f"/orders/{order.public_id}/confirmation/"
    assert Payment.objects.count() == 1
    assert TestGatewayCharge.objects.count() == 1


def test_every_review_page_gets_a_new_key(client):
    checkout = make_checkout()
    _with_cart(client, checkout)
    first = _confirm_value(_through_to_review(client, checkout))
    second = _confirm_value(client.get("/checkout/review/"))
    client.post("/checkout/confirm/", {"confirm": first})
    _with_cart(client, checkout)
    client.post("/checkout/confirm/", {"confirm": second})
    assert Order.objects.count() == 2


def test_a_declined_card_shows_the_reason_places_nothing_and_holds_no_stock(client):
    checkout = make_checkout()
    _with_cart(client, checkout)
    review = _through_to_review(client, checkout, token="tok_decline")
    confirm = _confirm_value(review)
    response = client.post("/checkout/confirm/", {"confirm": confirm})
    assert response.status_code == 400
    assert "Your card was declined" in response.content.decode()
    assert not Order.objects.exists()
    assert StockLevel.objects.get(variant=checkout.variant).allocated == 0
    # and the page offers a fresh confirmation, so a new card can be tried
    assert _confirm_value(response) != confirm
    assert CartLine.objects.count() == 1


def test_insufficient_funds_is_said_clearly(client):
    checkout = make_checkout()
    _with_cart(client, checkout)
    review = _through_to_review(client, checkout, token="tok_insufficient_funds")
    response = client.post("/checkout/confirm/", {"confirm": _confirm_value(review)})
    assert response.status_code == 400
    assert "insufficient funds" in response.content.decode()
    assert not Order.objects.exists()


def test_a_lost_gateway_answer_then_a_retry_charges_once(client):
    # given a card whose authorization answer is lost on the way back
    checkout = make_checkout()
    _with_cart(client, checkout)
    review = _through_to_review(client, checkout, token="tok_network_error")
    confirm = _confirm_value(review)
    # when confirmed, the page says the outcome is unknown and offers the same submission again
    response = client.post("/checkout/confirm/", {"confirm": confirm})
    assert response.status_code == 503
    assert "You will not be charged twice" in response.content.decode()
    retry = _confirm_value(response)
    # when retried
    done = client.post("/checkout/confirm/", {"confirm": retry})
    # then there is one order and one charge at the gateway
    order = Order.objects.get()
    assert done["Location"] == f"/orders/{order.public_id}/confirmation/"
    assert TestGatewayCharge.objects.count() == 1
    assert Payment.objects.get().order == order


def test_a_confirmation_that_was_tampered_with_places_nothing(client):
    checkout = make_checkout()
    _with_cart(client, checkout)
    confirm = _confirm_value(_through_to_review(client, checkout))
    response = client.post("/checkout/confirm/", {"confirm": confirm[:-2] + "xx"})
    assert response.status_code == 302
    assert response["Location"] == "/checkout/"
    assert not Order.objects.exists()


def test_another_users_confirmation_cannot_be_replayed(client):
    checkout = make_checkout()
    _with_cart(client, checkout)
    confirm = _confirm_value(_through_to_review(client, checkout))
    other = make_checkout()
    client.force_login(other.user)
    client.post("/checkout/confirm/", {"confirm": confirm})
    assert not Order.objects.exists()


def test_the_order_placed_is_the_one_reviewed_even_if_the_cart_changed_since(client):
    checkout = make_checkout()
    _with_cart(client, checkout, quantity=2)
    confirm = _confirm_value(_through_to_review(client, checkout))
    client.post(f"/cart/lines/{checkout.variant.sku}/", {"quantity": "5"})
    client.post("/checkout/confirm/", {"confirm": confirm})
    assert Order.objects.get().lines.get().quantity == 2


def test_confirm_only_accepts_post(client):
    checkout = make_checkout()
    client.force_login(checkout.user)
    assert client.get("/checkout/confirm/").status_code == 405
    assert OutboxEmail.objects.count() == 0


def test_with_stripe_configured_the_payment_step_shows_stripes_card_form(client, settings):
    # given the Stripe provider (only its publishable values reach the page)
    settings.PAYMENT_PROVIDER = "stripe"
    settings.STRIPE_PUBLISHABLE_KEY = "pk_test_page"
    settings.STRIPE_JS_URL = "https://js.stripe.com/v3/"
    checkout = make_checkout()
    _with_cart(client, checkout)
    client.post("/checkout/address/", {"address": checkout.address.public_id})
    client.post("/checkout/shipping/", {"shipping_method": checkout.shipping_method.code})
    html = client.get("/checkout/payment/").content.decode()
    assert 'data-publishable-key="pk_test_page"' in html
    assert '<script src="https://js.stripe.com/v3/"></script>' in html
    assert 'name="payment_token"' in html
    assert "tok_approve" not in html
    # and the PaymentMethod id the card form puts in the token field is taken as the card
    response = client.post("/checkout/payment/", {"kind": "card", "payment_token": "pm_card_visa"})
    assert response["Location"] == "/checkout/review/"


def test_a_price_that_changed_during_the_review_is_not_charged_without_notice(client):
    # given a buyer looking at a review page that says $25.00
    checkout = make_checkout()
    _with_cart(client, checkout, quantity=2)
    review = _through_to_review(client, checkout)
    assert "$25.00" in review.content.decode()
    # when the price goes up before they confirm
    Price.objects.filter(variant=checkout.variant).update(amount=Decimal("12.00"))
    response = client.post("/checkout/confirm/", {"confirm": _confirm_value(review)})
    # then nothing is ordered or charged, and the review shows the new total and says why
    assert response.status_code == 409
    html = response.content.decode()
    assert "$29.00" in html and "changed" in html
    assert not Order.objects.exists() and not TestGatewayCharge.objects.exists()
    assert StockLevel.objects.get(variant=checkout.variant).allocated == 0
    # when they confirm the new page, the order is placed at the total it showed
    client.post("/checkout/confirm/", {"confirm": _confirm_value(response)})
    assert Order.objects.get().total == Decimal("29.00")


def test_a_shipping_method_that_stops_delivering_after_it_was_chosen_sends_the_buyer_back_saying_so(client):
    # given a buyer who chose a shipping method (recorded without pricing the cart), with another one offered
    checkout = make_checkout()
    other = make_shipping_method(name="Express", base_rate=Decimal("15.00"))
    _with_cart(client, checkout)
    client.post("/checkout/address/", {"address": checkout.address.public_id})
    assert client.post("/checkout/shipping/", {"shipping_method": checkout.shipping_method.code}).status_code == 302
    client.post("/checkout/payment/", {"kind": "card", "payment_token": "tok_approve", "customer_reference": ""})

    # when the chosen method is taken out of service before the review
    checkout.shipping_method.is_active = False
    checkout.shipping_method.save()
    versions_bump(DELIVERY)  # as the shipping-method admin does: the checkout reads the methods from the cache
    review = client.get("/checkout/review/")

    # then the review sends the buyer back to the shipping step, which says why and offers the other method
    assert review.status_code == 302 and review["Location"] == "/checkout/shipping/"
    page = client.get("/checkout/shipping/").content.decode()
    assert "the method chosen cannot deliver this order; choose another" in page
    assert other.code in page
    assert not Order.objects.exists()


def test_checkout_goes_on_to_the_first_step_not_done_and_the_step_checks_the_cart(client):
    # given a buyer with an empty cart
    checkout = make_checkout()
    client.force_login(checkout.user)

    # when they open the checkout, they go to the address step, which sends them back to the cart
    assert client.get("/checkout/")["Location"] == "/checkout/address/"
    assert client.get("/checkout/address/")["Location"] == "/cart/"

    # when their cart has a line and they chose an address, the checkout goes on to the shipping step
    _with_cart(client, checkout)
    client.post("/checkout/address/", {"address": checkout.address.public_id})
    assert client.get("/checkout/")["Location"] == "/checkout/shipping/"


def test_a_tax_rate_changed_in_the_admin_shows_on_the_next_review(client):
    def tax(page) -> str:
        return re.search(r'class="num tax">([^<]+)<', page.content.decode()).group(1)

    # given a buyer at the review with Illinois' rate, read once and shared through the cache
    checkout = make_checkout()  # 2 × $10.00, $5.00 shipping (not taxed)
    rate = make_tax_rate(country="US", region="IL", rate_percent="5.00")
    _with_cart(client, checkout)
    assert tax(_through_to_review(client, checkout)) == "$1.00"
    assert tax(client.get("/checkout/review/")) == "$1.00"
    # when a manager changes the rate in the admin
    admin = Client()
    admin.force_login(make_staff(is_superuser=True))
    change = {"name": rate.name, "country": "US", "region": "IL", "rate_percent": "10.00", "is_active": "on"}
    assert admin.post(reverse("admin:pricing_taxrate_change", args=[rate.pk]), change).status_code == 302
    # then the next review charges the new rate
    assert tax(client.get("/checkout/review/")) == "$2.00"


def test_a_cart_changed_between_two_steps_shows_its_new_lines_at_the_next_step(client):
    # given a buyer at the review, the cart's lines read once and shared through the cache
    checkout = make_checkout()  # $10.00 a unit
    _with_cart(client, checkout, quantity=2)
    assert "$20.00" in _through_to_review(client, checkout).content.decode()
    assert "$20.00" in client.get("/checkout/payment/").content.decode()
    # when the buyer changes the quantity in the cart (another tab), then goes on with the checkout
    client.post(f"/cart/lines/{checkout.variant.sku}/", {"quantity": "3"})
    # then the next steps show the new line
    assert "$30.00" in client.get("/checkout/payment/").content.decode()
    review = client.get("/checkout/review/")
    assert review.status_code == 200 and "$30.00" in review.content.decode()
