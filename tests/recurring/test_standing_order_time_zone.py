import pytest
from django.test import override_settings

from tests.factories import make_checkout
from tests.recurring.conftest import make_standing_order

pytestmark = pytest.mark.django_db


def test_a_new_standing_order_follows_its_organizations_zone(at_start):
    checkout = make_checkout(timezone="Pacific/Auckland")

    assert make_standing_order(checkout, timezone=None).timezone == "Pacific/Auckland"


@override_settings(TIME_ZONE="Europe/Berlin")
def test_without_an_organization_zone_a_new_standing_order_follows_the_shops(at_start):
    checkout = make_checkout()

    assert make_standing_order(checkout, timezone=None).timezone == "Europe/Berlin"


def test_a_zone_chosen_for_the_standing_order_wins(at_start):
    checkout = make_checkout(timezone="Pacific/Auckland")

    assert make_standing_order(checkout, timezone="America/Chicago").timezone == "America/Chicago"
