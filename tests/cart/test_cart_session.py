import pytest
from django.contrib.auth import login
from django.contrib.auth.models import AnonymousUser
from django.contrib.sessions.middleware import SessionMiddleware
from django.db.models import Max, Sum
from django.test import RequestFactory

from autosales.cart.models import Cart
from autosales.cart.services import cart_add, cart_get_or_create
from autosales.cart.session import SESSION_KEY, cart_for_request, cart_merge_for_login
from autosales.customers.backends import SIGN_IN_BACKEND
from autosales.customers.models import Membership
from autosales.customers.selectors import organization_for_user
from tests.factories import make_member, make_organization, make_product

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
    login(request, user, backend=SIGN_IN_BACKEND)
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
    login(request, user, backend=SIGN_IN_BACKEND)
    assert cart_merge_for_login(request, user) is None
    assert not Cart.objects.exists()


def test_the_cart_read_with_each_request_follows_the_organization_the_user_acts_for():
    # given a user in two organizations, with a cart in each (one holding 3 + 4 units)
    first, second = make_product(variants=2).variants.all()
    user = make_member()
    older = user.memberships.get().organization
    newer = make_organization()
    Membership.objects.create(user=user, organization=newer)
    older_cart = cart_get_or_create(user=user, organization=older)
    newer_cart = cart_get_or_create(user=user, organization=newer)
    cart_add(cart=older_cart, variant=first, quantity=3)
    cart_add(cart=older_cart, variant=second, quantity=4)

    def read():
        cart = cart_for_request(_request(user))
        return cart, cart.organization, organization_for_user(user=user)

    # then with no organization chosen it is the one joined last, as organization_for_user answers
    cart, organization, acting_for = read()
    assert (cart, organization, acting_for) == (newer_cart, newer, newer)
    assert (cart.item_count, cart.lines_count, cart.lines_changed, cart.lines_last) == (0, 0, None, None)
    # and the one chosen when the user chooses, with its units counted as the ORM counts them
    user.current_organization = older
    user.save(update_fields=["current_organization"])
    cart, organization, acting_for = read()
    assert (cart, organization, acting_for) == (older_cart, older, older)
    counted = (
        Cart.objects.filter(pk=older_cart.pk)
        .annotate(units=Sum("lines__quantity"), changed=Max("lines__updated_at"), last=Max("lines__id"))
        .get()
    )
    assert (cart.item_count, cart.lines_count) == (7, 2)
    assert (cart.lines_changed, cart.lines_last) == (counted.changed, counted.last)
    assert cart.lines_changed.tzinfo is not None
    assert organization.credit_limit == older.credit_limit and organization.public_id == older.public_id
    # and the latest joined again once they leave the chosen one
    Membership.objects.filter(user=user, organization=older).delete()
    cart, organization, acting_for = read()
    assert (cart, organization, acting_for) == (newer_cart, newer, newer)
