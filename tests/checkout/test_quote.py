"""quote: unit prices, shipping by flat / weight / quantity with a free-over threshold, tax by destination."""

from decimal import Decimal

import pytest

from autosales.catalog.models import Variant
from autosales.checkout.pricing import LineRequest, quote
from autosales.checkout.selectors import payment_options_for, shipping_methods_for
from autosales.core.errors import DomainError
from tests.factories import make_address, make_organization, make_product, make_shipping_method, make_tax_rate

pytestmark = pytest.mark.django_db

D = Decimal


def priced(*, method, quantity=2, price="10.00", grams=500, address=None):
    variant = make_product(price=price).variants.get()
    Variant.objects.filter(pk=variant.pk).update(weight_grams=grams)
    address = address or make_address()
    return quote(
        organization=address.organization,
        lines=[LineRequest(variant_id=variant.pk, quantity=quantity)],
        shipping_method=method,
        shipping_address=address,
    )


def test_flat_rate_and_totals_add_up():
    q = priced(method=make_shipping_method(base_rate=D("7.50")))
    assert (q.subtotal.amount, q.shipping.amount, q.tax.amount, q.total.amount) == (
        D("20.00"),
        D("7.50"),
        0,
        D("27.50"),
    )
    assert q.total == q.subtotal + q.shipping + q.tax


def test_by_weight_is_pro_rata_per_kilogram():
    method = make_shipping_method(kind="weight", base_rate=D("2.00"), rate_per_kg=D("3.00"))
    assert priced(method=method, quantity=3, grams=500).shipping.amount == D("6.50")  # 2 + 1.5 kg x 3


def test_by_quantity_charges_per_unit():
    method = make_shipping_method(kind="quantity", base_rate=D("1.00"), rate_per_item=D("0.25"))
    assert priced(method=method, quantity=8).shipping.amount == D("3.00")


def test_free_over_the_threshold():
    method = make_shipping_method(base_rate=D("9.00"), free_over=D("50.00"))
    assert priced(method=method, quantity=4).shipping.amount == D("9.00")  # 40.00
    assert priced(method=method, quantity=5).shipping.amount == 0  # 50.00


def test_tax_region_rate_wins_over_the_country_rate_and_may_apply_to_shipping():
    make_tax_rate(country="US", region="", rate_percent="5")
    make_tax_rate(country="US", region="IL", rate_percent="10", applies_to_shipping=True)
    method = make_shipping_method(base_rate=D("5.00"))
    assert priced(method=method, address=make_address(region="IL")).tax.amount == D("2.50")  # 10 % of 25
    assert priced(method=method, address=make_address(region="WI", postal_code="53703")).tax.amount == D("1.00")


def test_unknown_or_inactive_variant_is_named():
    address = make_address()
    with pytest.raises(DomainError) as raised:
        quote(
            organization=address.organization,
            lines=[LineRequest(variant_id=999999, quantity=1)],
            shipping_method=make_shipping_method(),
            shipping_address=address,
        )
    assert raised.value.field == "lines[0].variant_id"


def test_shipping_methods_for_a_country_and_payment_options_say_why_account_is_unavailable():
    make_shipping_method(code="us-only", countries=["US"])
    make_shipping_method(code="ca-only", countries=["CA"])
    make_shipping_method(code="anywhere")
    codes = {m.code for m in shipping_methods_for(address=make_address())}
    assert codes == {"us-only", "anywhere"}

    on_hold = make_organization(has_account_terms=True, credit_limit=100, credit_hold=True)
    card, account = payment_options_for(organization=on_hold)
    assert card.available and not account.available and "credit hold" in account.reason
    card, account = payment_options_for(organization=make_organization())
    assert not account.available and "account terms" in account.reason
    _, account = payment_options_for(organization=make_organization(has_account_terms=True, credit_limit=100))
    assert account.available and account.available_credit.amount == 100
