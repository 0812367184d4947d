import datetime as dt

import pytest

from autosales.core.errors import DomainError
from autosales.notifications.models import OutboxEmail
from autosales.notifications.services import email_queue

pytestmark = pytest.mark.django_db

MOMENT = dt.datetime(2026, 12, 31, 17, 10, tzinfo=dt.UTC)


def _queue(**extra) -> OutboxEmail:
    return email_queue(
        to="buyer@example.com", template="notifications/test", context={"queued_at": MOMENT, "transport": "x"}, **extra
    )


def test_the_email_renders_in_the_zone_it_is_queued_for_and_keeps_it():
    email = _queue(time_zone="Pacific/Auckland")

    assert email.time_zone == "Pacific/Auckland"
    assert "queued Jan. 1, 2027, 6:10 a.m." in email.body_text


def test_without_a_zone_the_email_renders_in_the_shops():
    email = _queue()

    assert email.time_zone == ""
    assert "queued Dec. 31, 2026, 5:10 p.m." in email.body_text


def test_an_unknown_zone_is_refused_naming_the_argument_and_queues_nothing():
    with pytest.raises(DomainError) as refused:
        _queue(time_zone="Mars/Olympus_Mons")

    assert refused.value.field == "time_zone"
    assert not OutboxEmail.objects.exists()
