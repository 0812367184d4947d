import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from autosales.core import clock
from autosales.jobs.claims import claim_batch, claim_extend, claim_release
from autosales.notifications.models import OutboxEmail

pytestmark = pytest.mark.django_db
LEASE = dt.timedelta(minutes=5)


def rows(count):
    return OutboxEmail.objects.bulk_create(
        OutboxEmail(
            message_id=f"claim-{i}-{clock.now().timestamp()}@example.com",
            to=["a@example.com"],
            from_email="shop@example.com",
            subject="s",
            body_text="b",
            next_attempt_at=clock.now(),
        )
        for i in range(count)
    )


def test_two_workers_claim_disjoint_batches():
    rows(10)
    first = claim_batch(queryset=OutboxEmail.objects.all(), worker="a", limit=6, lease=LEASE)
    second = claim_batch(queryset=OutboxEmail.objects.all(), worker="b", limit=6, lease=LEASE)
    assert len(first) == 6 and len(second) == 4
    assert not {r.pk for r in first} & {r.pk for r in second}
    assert {r.claimed_by for r in first} == {"a"} and all(r.attempts == 1 for r in second)
    assert claim_batch(queryset=OutboxEmail.objects.all(), worker="c", limit=6, lease=LEASE) == []


def test_a_row_whose_lease_ran_out_is_claimed_again_and_its_first_worker_cannot_release_it():
    rows(1)
    [held] = claim_batch(queryset=OutboxEmail.objects.all(), worker="dead", limit=1, lease=LEASE)
    clock.advance(LEASE + dt.timedelta(seconds=1))
    [again] = claim_batch(queryset=OutboxEmail.objects.all(), worker="alive", limit=1, lease=LEASE)
    assert again.pk == held.pk and again.attempts == 2 and again.claimed_by == "alive"
    assert claim_release(instance=held, worker="dead", updates={"subject": "late"}) is False
    assert claim_extend(instance=held, worker="dead", lease=LEASE) is False
    assert claim_extend(instance=again, worker="alive", lease=LEASE) is True
    assert claim_release(instance=again, worker="alive", updates={"subject": "done"}) is True
    again.refresh_from_db()
    assert (again.subject, again.claimed_by, again.claimed_until) == ("done", "", None)


def test_claim_updates_are_written_with_the_claim():
    rows(2)
    claimed = claim_batch(
        queryset=OutboxEmail.objects.all(), worker="a", limit=5, lease=LEASE, updates={"status": "sending"}
    )
    assert {r.status for r in claimed} == {"sending"}


def test_claiming_takes_the_same_number_of_queries_for_3_or_30_rows():
    def count(n):
        OutboxEmail.objects.all().delete()
        rows(n)
        with CaptureQueriesContext(connection) as queries:
            claimed = claim_batch(queryset=OutboxEmail.objects.all(), worker="a", limit=50, lease=LEASE)
        assert len(claimed) == n
        return len(queries)

    assert count(3) == count(30)


def test_each_row_gets_its_own_values_in_one_statement_only_where_the_worker_still_holds_it():
    from autosales.jobs.claims import claims_write_each

    rows(4)
    held = claim_batch(queryset=OutboxEmail.objects.all(), worker="a", limit=4, lease=LEASE)
    # one of them was taken over by another worker after its lease ran out
    OutboxEmail.objects.filter(pk=held[3].pk).update(claimed_by="b")
    later = clock.now() + dt.timedelta(minutes=1)
    values = {
        held[0].pk: (None, "first"),  # a NULL in the first row too
        held[1].pk: (later, "second"),
        held[2].pk: (later, "third"),
        held[3].pk: (later, "lost"),
    }
    with CaptureQueriesContext(connection) as queries:
        written = claims_write_each(
            model=OutboxEmail,
            worker="a",
            fields=["last_attempt_at", "last_error"],
            rows=values,
            common={"claimed_by": "", "status": "pending"},
        )
    assert written == 3
    assert len([q for q in queries if not q["sql"].startswith("BEGIN")]) == 1
    found = {e.pk: (e.last_attempt_at, e.last_error, e.claimed_by) for e in OutboxEmail.objects.all()}
    assert found[held[0].pk] == (None, "first", "")
    assert found[held[1].pk] == (later, "second", "")
    assert found[held[2].pk] == (later, "third", "")
    assert found[held[3].pk] == (None, "", "b")
