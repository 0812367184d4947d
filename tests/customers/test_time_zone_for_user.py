import pytest
from django.contrib.auth.models import AnonymousUser
from django.test import override_settings

from autosales.customers.models import Membership
from autosales.customers.selectors import time_zone_for_user
from tests.factories import make_member, make_organization, make_staff, make_user

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("shop_in_chicago")]


@pytest.fixture
def shop_in_chicago():
    with override_settings(TIME_ZONE="America/Chicago"):
        yield


def test_a_member_reads_their_organizations_zone():
    assert time_zone_for_user(user=make_member(organization=make_organization(timezone="Pacific/Auckland"))) == (
        "Pacific/Auckland"
    )


def test_a_member_of_an_organization_without_a_zone_reads_the_shops():
    assert time_zone_for_user(user=make_member(organization=make_organization())) == "America/Chicago"


def test_staff_read_the_shops_zone_even_as_members_of_a_customer():
    staff = make_staff(group="salesperson")
    Membership.objects.create(user=staff, organization=make_organization(timezone="Pacific/Auckland"))

    assert time_zone_for_user(user=staff) == "America/Chicago"


def test_visitors_and_users_without_an_organization_read_the_shops_zone():
    assert time_zone_for_user(user=AnonymousUser()) == "America/Chicago"
    assert time_zone_for_user(user=None) == "America/Chicago"
    assert time_zone_for_user(user=make_user()) == "America/Chicago"
