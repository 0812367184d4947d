"""Reads remembered for one request: asked twice, queried once; a write in between makes them read again."""

import pytest
from django.db import connection
from django.http import HttpResponse
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext

from autosales.cart.models import Cart, CartLine
from autosales.cart.selectors import cart_summary
from autosales.core.request_memo import RequestMemoMiddleware
from autosales.customers.selectors import organization_for_user
from autosales.pricing.selectors import price_list_ids_for, unit_prices
from tests.factories import make_member, make_organization, make_product

pytestmark = pytest.mark.django_db


def in_a_request(view):
    """Runs `view()` as RequestMemoMiddleware runs a view; returns what it returned and the queries it made."""
    seen = {}

    def get_response(request):
        with CaptureQueriesContext(connection) as ctx:
            seen["value"] = view()
        seen["queries"] = len(ctx.captured_queries)
        return HttpResponse()

    RequestMemoMiddleware(get_response)(RequestFactory().get("/"))
    return seen["value"], seen["queries"]


def test_the_organization_prices_and_cart_summary_are_queried_once_per_request():
    organization = make_organization()
    user = make_member(organization=organization)
    product = make_product(variants=3)
    ids = list(product.variants.values_list("id", flat=True))
    cart = Cart.objects.create(user=user, organization=organization)
    for vid in ids:
        CartLine.objects.create(cart=cart, variant_id=vid, quantity=2)

    def one_round():
        org = organization_for_user(user=user)
        return (
            org,
            price_list_ids_for(organization=org),
            unit_prices(variant_ids=ids, organization=org),
            cart_summary(cart=cart, organization=org).subtotal,
        )

    # when a page asks once, and another page asks three times
    once, one_round_queries = in_a_request(one_round)
    thrice, three_rounds_queries = in_a_request(lambda: [one_round() for _ in range(3)])

    # then three rounds cost what one costs, and give the same answers
    assert once[0] == organization and once[3].amount > 0
    assert thrice == [once] * 3
    assert three_rounds_queries == one_round_queries


def test_a_write_in_the_request_makes_the_next_read_query_again():
    organization = make_organization()
    user = make_member(organization=organization)
    product = make_product(variants=1)
    variant = product.variants.get()
    cart = Cart.objects.create(user=user, organization=organization)

    def page():
        before = cart_summary(cart=cart, organization=organization).item_count
        CartLine.objects.create(cart=cart, variant=variant, quantity=4)
        after = cart_summary(cart=cart, organization=organization).item_count
        return before, after

    (before, after), _ = in_a_request(page)
    assert (before, after) == (0, 4)


def test_outside_a_request_nothing_is_remembered():
    user = make_member()
    with CaptureQueriesContext(connection) as ctx:
        organization_for_user(user=user)
        organization_for_user(user=user)
    assert len(ctx.captured_queries) == 2


@pytest.mark.django_db(transaction=True)
def test_a_read_inside_a_transaction_that_rolls_back_is_not_remembered():
    from django.db import transaction

    from autosales.customers.models import Membership

    user = make_member()
    other = make_organization(name="Rolled back")

    def page():
        with pytest.raises(RuntimeError), transaction.atomic():
            Membership.objects.create(user=user, organization=other)  # now the latest joined
            inside = organization_for_user(user=user)
            raise RuntimeError("the service fails")
        return inside, organization_for_user(user=user)

    (inside, after), _ = in_a_request(page)
    assert inside == other and after != other
