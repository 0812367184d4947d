import pytest

from autosales.customers.models import Membership
from autosales.customers.selectors import (
    members_for_organization,
    membership_for,
    organization_for_user,
    user_by_email,
)
from tests.factories import make_member, make_organization, make_user

pytestmark = pytest.mark.django_db


def test_organization_for_user_is_none_without_membership():
    assert organization_for_user(user=make_user()) is None


def test_organization_for_user_prefers_the_chosen_one_while_still_a_member():
    # given a user in two organizations, having chosen the first
    first = make_organization(name="First")
    second = make_organization(name="Second")
    user = make_member(organization=first)
    Membership.objects.create(user=user, organization=second)
    user.current_organization = first
    user.save()

    # then they act for the chosen one
    assert organization_for_user(user=user) == first

    # and when they leave it, for the one they joined last
    Membership.objects.filter(user=user, organization=first).delete()
    assert organization_for_user(user=user) == second


def test_organization_for_user_defaults_to_the_latest_joined():
    first = make_organization()
    second = make_organization()
    user = make_member(organization=first)
    Membership.objects.create(user=user, organization=second)
    assert organization_for_user(user=user) == second


def test_membership_for_finds_only_that_pair():
    organization = make_organization()
    user = make_member(organization=organization, role=Membership.Role.ADMIN)
    assert membership_for(user=user, organization=organization).role == Membership.Role.ADMIN
    assert membership_for(user=user, organization=make_organization()) is None


def test_members_for_organization_lists_admins_first(django_assert_num_queries):
    organization = make_organization()
    buyer = make_member(organization=organization, first_name="Aaron")
    admin = make_member(organization=organization, first_name="Zoe", role=Membership.Role.ADMIN)
    make_member(organization=make_organization())
    with django_assert_num_queries(1):
        users = [m.user for m in members_for_organization(organization=organization)]
    assert users == [admin, buyer]


def test_user_by_email_needs_exactly_one_active_user():
    make_user(email="one@example.com")
    make_user(email="two@example.com")
    make_user(email="TWO@example.com")
    make_user(email="gone@example.com", is_active=False)
    assert user_by_email(email=" ONE@example.com ").email == "one@example.com"
    assert user_by_email(email="two@example.com") is None
    assert user_by_email(email="gone@example.com") is None
