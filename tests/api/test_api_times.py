"""The API gives times in UTC (ISO 8601 with the offset), whatever zone the caller reads pages in."""

import datetime as dt

import pytest

from autosales.core import clock
from tests.factories import make_checkout, place_test_order

pytestmark = pytest.mark.django_db

NEW_YEAR_IN_AUCKLAND = dt.datetime(2026, 12, 31, 17, 10, tzinfo=dt.UTC)


def test_an_auckland_member_gets_utc_timestamps_with_their_offset(client):
    checkout = make_checkout(timezone="Pacific/Auckland")
    with clock.frozen_at(NEW_YEAR_IN_AUCKLAND):
        order = place_test_order(checkout)
    client.force_login(checkout.user)

    placed_at = client.get(f"/api/v1/orders/{order.public_id}").json()["placed_at"]

    assert placed_at.startswith("2026-12-31T17:10:00")
    assert dt.datetime.fromisoformat(placed_at) == NEW_YEAR_IN_AUCKLAND
