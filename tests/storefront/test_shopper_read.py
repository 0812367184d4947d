"""Before a signed-in customer's request is handled, their user row, cart and organization are read in one query;
Django still checks the user as it checks any (active, the session's password hash)."""

import pytest
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.auth.middleware import AuthenticationMiddleware
from django.contrib.sessions.middleware import SessionMiddleware
from django.db import connection
from django.http import HttpResponse
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext

from autosales.cart.services import cart_add, cart_get_or_create
from autosales.core.request_memo import RequestMemoMiddleware
from autosales.customers.backends import SIGN_IN_BACKEND
from autosales.customers.models import Membership, User
from autosales.customers.selectors import organization_for_user
from autosales.pricing.models import PriceList
from autosales.pricing.selectors import price_list_ids_for
from autosales.storefront.middleware import ShopperMiddleware
from tests.factories import make_member, make_organization, make_product, make_staff

pytestmark = pytest.mark.django_db


def handled(user, *, backend: str = SIGN_IN_BACKEND) -> dict:
    """A page request of a session signed in as `user`, through the middleware that reads the shopper: what the
    view saw, and the queries made before the view ran."""
    request = RequestFactory().get("/")
    SessionMiddleware(lambda r: None).process_request(request)
    request.session[SESSION_KEY] = str(user.pk)
    request.session[BACKEND_SESSION_KEY] = backend
    request.session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    AuthenticationMiddleware(lambda r: None).process_request(request)
    seen = {}

    def view(request):
        seen["queries"] = len(queries.captured_queries)
        seen["user"] = request.user
        seen["cart"] = getattr(request, "_cart", None)
        seen["organization"] = organization_for_user(user=request.user) if not request.user.is_staff else None
        seen["price_lists"] = price_list_ids_for(organization=seen["organization"])
        seen["after"] = len(queries.captured_queries)
        return HttpResponse()

    with CaptureQueriesContext(connection) as queries:
        RequestMemoMiddleware(ShopperMiddleware(view))(request)
    return seen


def test_a_customers_user_cart_and_organization_are_read_in_one_query():
    # given a customer acting for the second of their organizations, with 5 units in that organization's cart
    first, second = make_organization(name="First"), make_organization(name="Second")
    user = make_member(organization=first)
    Membership.objects.create(user=user, organization=second)
    user.current_organization = second
    user.save()
    variant = make_product(variants=1).variants.get()
    cart = cart_get_or_create(user=user, organization=second)
    cart_add(cart=cart, variant=variant, quantity=5)

    seen = handled(user)

    # then one query read them all, and they are what the ORM reads
    assert seen["queries"] == 1 and seen["after"] == 1
    expected = User.objects.get(pk=user.pk)
    assert {f.attname: getattr(seen["user"], f.attname) for f in User._meta.concrete_fields} == {
        f.attname: getattr(expected, f.attname) for f in User._meta.concrete_fields
    }
    assert seen["cart"] == cart and seen["cart"].item_count == 5
    assert seen["organization"] == second


def test_a_customer_without_a_cart_is_read_with_the_organization_asked_separately():
    organization = make_organization()
    user = make_member(organization=organization)

    seen = handled(user)

    assert seen["user"] == user and seen["cart"] is None
    assert seen["organization"] == organization


def test_staff_are_read_without_a_cart():
    staff = make_staff()
    seen = handled(staff)
    assert seen["user"] == staff and seen["cart"] is None
    assert seen["queries"] == 1


def test_a_session_of_another_backend_is_read_as_before(settings):
    settings.AUTHENTICATION_BACKENDS = [*settings.AUTHENTICATION_BACKENDS, "django.contrib.auth.backends.ModelBackend"]
    organization = make_organization()
    user = make_member(organization=organization)
    seen = handled(user, backend="django.contrib.auth.backends.ModelBackend")
    assert seen["user"] == user and seen["queries"] == 3  # the user, then the cart (none yet), the organization


def test_a_password_changed_elsewhere_signs_the_session_out_though_its_row_was_read_with_the_cart(client):
    # given a customer signed in, with a cart
    organization = make_organization()
    user = make_member(organization=organization, password="a long passphrase 1")
    cart_add(
        cart=cart_get_or_create(user=user, organization=organization),
        variant=make_product(variants=1).variants.get(),
        quantity=1,
    )
    client.force_login(user)
    assert client.get("/account/").status_code == 200

    # when their password is changed on another device
    user.set_password("another long passphrase 2")
    user.save()

    # then this session's next page finds it signed out
    response = client.get("/account/")
    assert response.status_code == 302 and "/signin/" in response["Location"]
    assert SESSION_KEY not in client.session


@pytest.mark.parametrize("lists", [0, 1, 3])
def test_the_organizations_price_lists_come_with_its_cart(lists):
    # given a customer whose organization has its own price lists, and a cart
    organization = make_organization()
    other = make_organization(name="Other")
    mine = [PriceList.objects.create(name=f"Contract {n}", currency="USD") for n in range(lists)]
    for price_list in mine:
        price_list.organizations.add(organization)
    PriceList.objects.create(name="Someone else's", currency="USD").organizations.add(other)
    user = make_member(organization=organization)
    cart_add(
        cart=cart_get_or_create(user=user, organization=organization),
        variant=make_product(variants=1).variants.get(),
        quantity=1,
    )

    seen = handled(user)

    # then the page knows them, sorted, without asking again (as price_list_ids_for reads them)
    assert seen["price_lists"] == tuple(sorted(p.pk for p in mine))
    assert seen["queries"] == 1 and seen["after"] == 1
