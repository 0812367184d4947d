"""Times in an email are in the recipient organization's zone (else the shop's), read back from a real SMTP server."""

import datetime as dt

import pytest
from django.test import override_settings

from autosales.core import clock
from tests.factories import make_checkout, place_test_order

pytestmark = pytest.mark.django_db

# 1 January 2026, 06:10 in Auckland (NZDT, UTC+13) is still 31 December 2025 in UTC (in the past, so the
# email is due at once).
NEW_YEAR_IN_AUCKLAND = dt.datetime(2025, 12, 31, 17, 10, tzinfo=dt.UTC)


def body_of(message, subtype: str) -> str:
    return message.get_body(preferencelist=(subtype,)).get_content()


@override_settings(TIME_ZONE="America/Chicago")
def test_the_confirmation_email_says_when_the_order_was_placed_in_the_buyers_time(smtp_server):
    checkout = make_checkout(timezone="Pacific/Auckland")
    with clock.frozen_at(NEW_YEAR_IN_AUCKLAND):
        place_test_order(checkout)

    [message] = smtp_server.deliver()

    assert "Order placed: Jan. 1, 2026, 06:10 NZDT" in body_of(message, "plain")
    assert "Placed Jan. 1, 2026, 06:10 NZDT" in body_of(message, "html")


@override_settings(TIME_ZONE="America/Chicago")
def test_without_an_organization_zone_the_email_is_in_the_shops_time(smtp_server):
    checkout = make_checkout()
    with clock.frozen_at(NEW_YEAR_IN_AUCKLAND):
        place_test_order(checkout)

    [message] = smtp_server.deliver()

    assert "Order placed: Dec. 31, 2025, 11:10 CST" in body_of(message, "plain")
