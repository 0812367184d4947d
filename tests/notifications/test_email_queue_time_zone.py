"""An email's times read in the zone it was queued for (the recipient's organization's), rendered at delivery."""

import datetime as dt

import pytest

from autosales.notifications.delivery import outbox_deliver_pass
from autosales.notifications.models import OutboxEmail
from autosales.notifications.services import email_queue

pytestmark = pytest.mark.django_db

MOMENT = dt.datetime(2026, 12, 31, 17, 10, tzinfo=dt.UTC)


def _queue(**extra) -> OutboxEmail:
    return email_queue(
        to="buyer@example.com", template="notifications/test", context={"queued_at": MOMENT, "transport": "x"}, **extra
    )


def _delivered(email: OutboxEmail) -> OutboxEmail:
    outbox_deliver_pass()
    email.refresh_from_db()
    return email


def test_the_email_renders_in_the_zone_it_is_queued_for_and_keeps_it():
    email = _delivered(_queue(time_zone="Pacific/Auckland"))

    assert email.time_zone == "Pacific/Auckland"
    assert "queued Jan. 1, 2027, 6:10 a.m." in email.body_text


def test_without_a_zone_the_email_renders_in_the_shops():
    email = _delivered(_queue())

    assert email.time_zone == ""
    assert "queued Dec. 31, 2026, 5:10 p.m." in email.body_text


def test_an_unknown_zone_fails_that_email_at_delivery_and_never_the_caller():
    # given an email queued with a zone that is not one (the caller's transaction is not refused)
    email = _queue(time_zone="Mars/Olympus_Mons")

    # when the outbox delivers, then that email alone fails, with the reason
    email = _delivered(email)
    assert email.status == "failed"
    assert "Mars/Olympus_Mons" in email.last_error
