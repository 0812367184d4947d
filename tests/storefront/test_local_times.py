"""Dates and times on the store's pages are in the reader's zone: their organization's, else the shop's."""

import datetime as dt

import pytest
from django.test import override_settings

from autosales.core import clock
from tests.factories import make_checkout, make_staff, place_test_order
from tests.recurring.conftest import make_standing_order

pytestmark = pytest.mark.django_db

# 1 January 2027, 06:10 in Auckland (NZDT, UTC+13) is still 31 December 2026 in UTC.
NEW_YEAR_IN_AUCKLAND = dt.datetime(2026, 12, 31, 17, 10, tzinfo=dt.UTC)


@pytest.fixture
def auckland():
    return make_checkout(name="Kiwi Lighting", timezone="Pacific/Auckland")


def test_an_auckland_member_reads_the_order_in_auckland_time(client, auckland):
    with clock.frozen_at(NEW_YEAR_IN_AUCKLAND):
        order = place_test_order(auckland)
    client.force_login(auckland.user)

    detail = client.get(f"/orders/{order.public_id}/").content.decode()
    history = client.get("/orders/").content.decode()

    assert "placed Jan 1, 2027, 06:10 NZDT" in detail
    assert "Jan 1, 2027, 06:10 NZDT — " in detail  # the order's events
    assert "UTC" not in detail
    assert "<td>Jan 1, 2027</td>" in history


@override_settings(TIME_ZONE="America/Chicago")
def test_a_member_of_an_organization_without_a_zone_reads_the_shops(client):
    checkout = make_checkout()
    with clock.frozen_at(NEW_YEAR_IN_AUCKLAND):
        order = place_test_order(checkout)
    client.force_login(checkout.user)

    assert "placed Dec 31, 2026, 11:10 CST" in client.get(f"/orders/{order.public_id}/").content.decode()


def test_the_standing_order_page_shows_its_change_log_in_the_members_time(client, auckland):
    with clock.frozen_at(NEW_YEAR_IN_AUCKLAND):
        standing_order = make_standing_order(auckland, timezone=None)
    client.force_login(auckland.user)

    html = client.get(f"/standing-orders/{standing_order.public_id}/").content.decode()

    assert "Set up by" in html and "on Jan 1, 2027." in html
    assert "Jan 1, 2027, 06:10 NZDT — " in html


@override_settings(TIME_ZONE="America/Chicago")
def test_staff_read_the_back_office_in_the_shops_time(client, auckland):
    with clock.frozen_at(NEW_YEAR_IN_AUCKLAND):
        order = place_test_order(auckland)
    client.force_login(make_staff(group="manager"))

    listing = client.get("/backoffice/orders/").content.decode()
    detail = client.get(f"/backoffice/orders/{order.public_id}/").content.decode()

    assert "2026-12-31 11:10 CST" in listing
    assert "2026-12-31 11:10:" in detail and "CST" in detail
    assert "NZDT" not in listing + detail
