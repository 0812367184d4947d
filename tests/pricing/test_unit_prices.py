from decimal import Decimal

import pytest

from autosales.core.errors import NotFound
from autosales.core.money import Money
from autosales.pricing.models import Price, PriceList
from autosales.pricing.selectors import price_list_ids_for, price_list_key, unit_price, unit_prices
from tests.factories import make_organization, make_product

pytestmark = pytest.mark.django_db


def special_list(organization, name="Special", currency="USD"):
    price_list = PriceList.objects.create(name=name, currency=currency)
    price_list.organizations.add(organization)
    return price_list


def test_list_price_for_anonymous_callers_and_organizations_without_a_price_list():
    # given
    variant = make_product(price="12.50").variants.get()
    organization = make_organization()

    # when / then
    assert unit_prices(variant_ids=[variant.id]) == {variant.id: Money(Decimal("12.50"), "USD")}
    assert unit_price(variant=variant, organization=organization) == Money(Decimal("12.50"), "USD")


def test_organization_price_list_wins_over_the_list_price_and_only_for_that_organization():
    # given
    variant, other_variant = make_product(price="12.50", variants=2).variants.all()
    organization = make_organization()
    stranger = make_organization()
    Price.objects.create(price_list=special_list(organization), variant=variant, amount=Decimal("9.00"))

    # when
    prices = unit_prices(variant_ids=[variant.id, other_variant.id], organization=organization)

    # then
    assert prices == {variant.id: Money(Decimal("9.00"), "USD"), other_variant.id: Money(Decimal("12.50"), "USD")}
    assert unit_price(variant=variant, organization=stranger) == Money(Decimal("12.50"), "USD")


def test_the_lowest_of_several_special_prices_applies():
    # given
    variant = make_product(price="12.50").variants.get()
    organization = make_organization()
    Price.objects.create(price_list=special_list(organization, "A"), variant=variant, amount=Decimal("11.00"))
    Price.objects.create(price_list=special_list(organization, "B"), variant=variant, amount=Decimal("10.00"))

    # when / then
    assert unit_price(variant=variant, organization=organization) == Money(Decimal("10.00"), "USD")


def test_a_variant_without_price_is_left_out_and_unit_price_raises():
    # given
    variant = make_product().variants.get()
    Price.objects.filter(variant=variant).delete()

    # when / then
    assert unit_prices(variant_ids=[variant.id]) == {}
    with pytest.raises(NotFound) as caught:
        unit_price(variant=variant)
    assert caught.value.code == "price_not_found"


def test_unit_prices_takes_one_query_whatever_the_number_of_variants(django_assert_num_queries):
    # given
    organization = make_organization()
    few = [v.id for v in make_product(variants=3).variants.all()]
    many = [v.id for v in make_product(variants=30).variants.all()]
    organization = type(organization).objects.get(pk=organization.pk)

    # when / then
    with django_assert_num_queries(1):
        assert len(unit_prices(variant_ids=few, organization=organization)) == 3
    with django_assert_num_queries(1):
        assert len(unit_prices(variant_ids=many, organization=organization)) == 30


def test_no_variants_no_query(django_assert_num_queries):
    with django_assert_num_queries(0):
        assert unit_prices(variant_ids=[]) == {}


def test_an_organizations_own_price_lists_make_its_price_key():
    # given one organization with two lists, another with none, a list for a third
    organization, other, third = make_organization(), make_organization(), make_organization()
    second = special_list(organization, name="Second")
    first = special_list(organization, name="First")
    special_list(third, name="Theirs")

    # then the ids are its own, sorted, and customers with the same lists share a key
    assert price_list_ids_for(organization=organization) == tuple(sorted([first.pk, second.pk]))
    assert price_list_key(organization=organization) == f"pl-{min(first.pk, second.pk)}-{max(first.pk, second.pk)}"
    assert price_list_ids_for(organization=other) == () and price_list_key(organization=other) == "default"
    assert price_list_key(organization=None) == "default"
