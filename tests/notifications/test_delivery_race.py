"""Two workers race over the same outbox: every email is sent exactly once."""

import threading
from collections import Counter

import pytest
from django.db import connection

from autosales.core import clock
from autosales.notifications.delivery import outbox_deliver_pass
from autosales.notifications.models import OutboxEmail


def _fill_outbox(count: int) -> list[str]:
    now = clock.now()
    rows = [
        OutboxEmail(
            message_id=f"race-{i}@example.com",
            to=[f"r{i}@example.com"],
            from_email="shop@example.com",
            subject=f"Email {i}",
            body_text=f"Body {i}\n",
            next_attempt_at=now,
        )
        for i in range(count)
    ]
    OutboxEmail.objects.bulk_create(rows, batch_size=500)
    return [row.message_id for row in rows]


def _race(*, workers: int, batch_size: int) -> Counter:
    """Run `workers` delivery loops at once, each in its own thread with its own database connection."""
    start = threading.Barrier(workers)
    sent_by: Counter = Counter()
    errors: list[BaseException] = []

    def work(name: str) -> None:
        try:
            start.wait()
            while True:
                result = outbox_deliver_pass(worker=name, batch_size=batch_size, max_batches=1)
                sent_by[name] += result.items
                if result.items == 0 and result.failures == 0:
                    break
        except BaseException as exc:  # reported to the test below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=work, args=(f"worker-{i}",)) for i in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=600)
    assert not errors, errors
    return sent_by


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_workers_send_each_of_1000_emails_exactly_once_on_postgresql(on_postgres, smtp_server):
    # given 1,000 emails due at once
    message_ids = _fill_outbox(1000)
    # when two workers deliver them at the same time
    sent_by = _race(workers=2, batch_size=25)
    # then the SMTP server received each email exactly once
    received = smtp_server.message_ids()
    assert sorted(received) == sorted(message_ids)
    assert set(received.values()) == {1}
    assert sum(sent_by.values()) == 1000
    assert OutboxEmail.objects.filter(status=OutboxEmail.Status.SENT, attempts=1).count() == 1000


@pytest.mark.django_db(transaction=True)
def test_two_workers_send_each_email_exactly_once_on_any_database(smtp_server):
    message_ids = _fill_outbox(120)
    _race(workers=2, batch_size=10)
    received = smtp_server.message_ids()
    assert sorted(received) == sorted(message_ids)
    assert set(received.values()) == {1}
