"""A pass of several batches: one batch is sent by the connection's thread while the next is claimed and rendered.
Nothing of that may lose an email or send one twice."""

import datetime as dt

import pytest
from django.db import connection

from autosales.core import clock
from autosales.notifications.delivery import outbox_deliver_pass
from autosales.notifications.models import OutboxEmail
from autosales.notifications.services import email_queue

pytestmark = pytest.mark.django_db


def queue(count: int, *, prefix: str) -> list[OutboxEmail]:
    return [
        email_queue(
            to=f"{prefix}{n}@example.com",
            template="notifications/test",
            context={"queued_at": "now", "transport": "smtp"},
        )
        for n in range(count)
    ]


def test_several_batches_in_one_pass_arrive_exactly_once_each(smtp_server):
    emails = queue(7, prefix="many")
    result = outbox_deliver_pass(batch_size=2)
    assert result.items == 7 and result.failures == 0
    assert sorted(smtp_server.message_ids().values()) == [1] * 7
    assert set(smtp_server.message_ids()) == {email.message_id for email in emails}
    assert OutboxEmail.objects.filter(status=OutboxEmail.Status.SENT, claimed_by="").count() == 7


def test_a_server_down_during_a_pass_of_several_batches_loses_nothing_and_stops_trying(smtp_server):
    # given the mail server is down and three batches' worth of emails are due
    smtp_server.stop()
    emails = queue(5, prefix="down")
    # when a pass runs
    result = outbox_deliver_pass(batch_size=2)
    # then it stops after the batch that found the server gone and, when the sending thread was slower than the
    # next claim, the one prepared meanwhile: they wait, with the reason, for the backoff; the third batch is not
    # even claimed
    assert result.items == 0 and result.failures in (2, 4)
    rows = list(OutboxEmail.objects.filter(pk__in=[email.pk for email in emails]).order_by("pk"))
    assert all(row.status == OutboxEmail.Status.PENDING and row.claimed_by == "" for row in rows)
    tried = [row for row in rows if row.attempts]
    assert len(tried) == result.failures and not rows[-1].attempts
    assert all("cannot reach the mail server" in row.last_error and row.next_attempt_at > clock.now() for row in tried)
    # when the server is back and the backoff has passed
    smtp_server.start()
    clock.advance(dt.timedelta(hours=2))
    outbox_deliver_pass(batch_size=2)
    # then every email arrives exactly once
    assert sorted(smtp_server.message_ids().values()) == [1] * 5
    assert OutboxEmail.objects.filter(status=OutboxEmail.Status.SENT).count() == 5


@pytest.mark.django_db(transaction=True)
def test_a_batch_slower_than_half_its_lease_records_as_it_goes_and_renews_the_rest(smtp_server, settings):
    # given a lease so short that every email takes longer than half of it (a slow server, as far as the
    # worker can tell)
    settings.OUTBOX_LEASE_SECONDS = 0
    queue(4, prefix="slow")
    renewals = []

    def tally(execute, sql, params, many, context):
        if sql.startswith("UPDATE") and "claimed_until" in sql and "status" not in sql:
            renewals.append(sql)
        return execute(sql, params, many, context)

    # when one pass sends them in one batch
    with connection.execute_wrapper(tally):
        result = outbox_deliver_pass(batch_size=10)
    # then all are sent once and recorded, the rest's lease renewed as the batch went on
    assert result.items == 4
    assert sorted(smtp_server.message_ids().values()) == [1] * 4
    assert renewals
    assert OutboxEmail.objects.filter(status=OutboxEmail.Status.SENT, claimed_by="").count() == 4


def test_a_pass_starts_with_small_batches_and_asks_other_workers_in_once_more_than_a_batch_is_due(
    smtp_server, settings, monkeypatch
):
    from autosales.notifications import delivery

    # given a batch size of 40 and 150 emails due
    settings.OUTBOX_BATCH_SIZE = 40
    queue(150, prefix="ramp")
    limits = []
    claim = delivery.outbox_claim_due

    def claim_noting_the_limit(*, worker, limit):  # the real claim; only the sizes asked for are noted
        limits.append(limit)
        return claim(worker=worker, limit=limit)

    monkeypatch.setattr(delivery, "outbox_claim_due", claim_noting_the_limit)
    asked = []
    # when the delivery job's pass runs
    result = delivery.outbox_deliver_pass(more_due=lambda: asked.append(True))
    # then sending starts after 25 emails are rendered, then 40 (the batch size caps the ramp's 75), then full
    # batches until one finds none due; other workers were asked in once
    assert limits == [25, 40, 40, 40, 40, 40]
    assert result.items == 150 and sorted(smtp_server.message_ids().values()) == [1] * 150
    assert asked == [True]


def test_other_workers_are_not_asked_in_for_less_than_a_batch(smtp_server, settings):
    settings.OUTBOX_BATCH_SIZE = 40
    queue(30, prefix="few")
    asked = []
    result = outbox_deliver_pass(more_due=lambda: asked.append(True))
    assert result.items == 30 and asked == []
