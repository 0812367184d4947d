import pytest
from django.contrib.auth import login
from django.contrib.auth.models import AnonymousUser
from django.contrib.sessions.middleware import SessionMiddleware
from django.test import RequestFactory

from autosales.cart.models import Cart
from autosales.cart.services import cart_add, cart_get_or_create
from autosales.cart.session import SESSION_KEY, cart_for_request, cart_merge_for_login
from tests.factories import make_member, make_product

pytestmark = pytest.mark.django_db


def _request(user=None):
    request = RequestFactory().get("/")
    SessionMiddleware(lambda r: None).process_request(request)
    request.user = user or AnonymousUser()
    return request


def test_a_guest_gets_a_cart_only_when_asked_to_create_one_and_keeps_it_in_the_session():
    request = _request()
    assert cart_for_request(request) is None
    assert not Cart.objects.exists()
    cart = cart_for_request(request, create=True)
    assert cart.user is None
    assert request.session[SESSION_KEY] == cart.token
    # a later request of the same session finds the same cart
    later = _request()
    later.session = request.session
    assert cart_for_request(later) == cart


def test_a_guest_token_never_opens_a_users_cart():
    user = make_member()
    account_cart = cart_get_or_create(user=user, organization=user.memberships.get().organization)
    request = _request()
    request.session[SESSION_KEY] = account_cart.token
    assert cart_for_request(request) is None


def test_a_signed_in_user_works_on_the_cart_of_the_current_organization():
    user = make_member()
    organization = user.memberships.get().organization
    cart = cart_for_request(_request(user), create=True)
    assert (cart.user, cart.organization) == (user, organization)
    assert cart_for_request(_request(user)) == cart


def test_signing_in_merges_the_guest_cart_into_the_account_cart():
    # given a guest with a cart and an account cart holding the same variant
    first, second = make_product(variants=2).variants.all()
    user = make_member()
    account = cart_get_or_create(user=user, organization=user.memberships.get().organization)
    cart_add(cart=account, variant=first, quantity=1)
    request = _request()
    guest = cart_for_request(request, create=True)
    cart_add(cart=guest, variant=first, quantity=2)
    cart_add(cart=guest, variant=second, quantity=4)
    # when the guest signs in
    login(request, user, backend="django.contrib.auth.backends.ModelBackend")
    merged = cart_merge_for_login(request, user)
    # then the account cart holds everything and the guest cart is gone
    assert merged == account
    assert dict(account.lines.values_list("variant_id", "quantity")) == {first.id: 3, second.id: 4}
    assert not Cart.objects.filter(pk=guest.pk).exists()
    assert SESSION_KEY not in request.session
    assert cart_for_request(request) == account


def test_signing_in_without_a_guest_cart_changes_nothing():
    user = make_member()
    request = _request()
    login(request, user, backend="django.contrib.auth.backends.ModelBackend")
    assert cart_merge_for_login(request, user) is None
    assert not Cart.objects.exists()
