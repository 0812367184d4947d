"""What delivering a batch of emails costs in SQL: the same few statements for 3 emails as for 30."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from autosales.notifications.delivery import outbox_deliver_pass
from autosales.notifications.models import OutboxEmail
from autosales.notifications.services import email_queue
from tests.factories import make_organization

# transaction=True: statements are counted as a worker sends them, not inside a test's transaction.
pytestmark = pytest.mark.django_db(transaction=True)

# The claim, the objects the emails refer to, the rendered texts, the sent ones' outcome, the claim that finds
# nothing more.
PER_BATCH = 5


def _queue(count: int, *, prefix: str) -> list[OutboxEmail]:
    organization = make_organization()
    return [
        email_queue(
            to=f"{prefix}{n}@example.com",
            template="notifications/test",
            # A model instance too: it is loaded once for the batch, not once per email.
            context={"queued_at": "now", "transport": "smtp", "organization": organization},
        )
        for n in range(count)
    ]


def _statements_to_deliver(emails: list[OutboxEmail]) -> int:
    statements = []

    def tally(execute, sql, params, many, context):
        if not sql.startswith("BEGIN"):  # transaction control, sent as a statement on SQLite only
            statements.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(tally):
        result = outbox_deliver_pass(worker="statements-worker", batch_size=50)
    assert result.items == len(emails)
    return len(statements)


def test_delivering_a_batch_takes_the_same_statements_for_3_or_30_emails(smtp_server):
    three = _statements_to_deliver(_queue(3, prefix="three"))
    thirty = _statements_to_deliver(_queue(30, prefix="thirty"))

    assert three == thirty <= PER_BATCH
    assert len(smtp_server.messages) == 33
    assert OutboxEmail.objects.filter(status=OutboxEmail.Status.SENT).count() == 33
    # and each row keeps the text it was sent with
    sent = {str(message["Message-ID"]).strip("<>"): message for message in smtp_server.messages}
    for email in OutboxEmail.objects.all():
        assert email.subject and email.subject == sent[email.message_id]["Subject"]
        assert email.body_text and email.claimed_by == "" and email.transport == "smtp"


def test_each_kind_of_outcome_is_recorded_with_one_statement_for_the_batch(smtp_server):
    # given a batch where some recipients are refused for good, some for now, and the rest accepted
    emails = _queue(30, prefix="mixed")
    for email in emails[:5]:
        smtp_server.refuse(email.to[0], "550 5.1.1 No such user here")
    for email in emails[5:10]:
        smtp_server.refuse(email.to[0], "451 4.3.0 Try again later")
    statements = []

    def tally(execute, sql, params, many, context):
        if not sql.startswith("BEGIN"):
            statements.append(sql)
        return execute(sql, params, many, context)

    # when one pass delivers it
    with connection.execute_wrapper(tally):
        result = outbox_deliver_pass(worker="statements-worker", batch_size=50)

    # then each outcome is recorded, with one statement per kind of outcome beyond the sent batch's
    assert (result.items, result.failures) == (20, 10)
    assert len(statements) == PER_BATCH + 2
    by_status = {status: OutboxEmail.objects.filter(status=status).count() for status in OutboxEmail.Status}
    assert by_status[OutboxEmail.Status.SENT] == 20
    assert by_status[OutboxEmail.Status.FAILED] == 5
    assert by_status[OutboxEmail.Status.PENDING] == 5
    for email in OutboxEmail.objects.exclude(status=OutboxEmail.Status.SENT):
        expected = "550" if email.status == OutboxEmail.Status.FAILED else "451"
        assert expected in email.last_error and email.body_text
    waiting = OutboxEmail.objects.filter(status=OutboxEmail.Status.PENDING)
    assert all(email.next_attempt_at > email.last_attempt_at for email in waiting)
    assert not OutboxEmail.objects.exclude(claimed_by="").exists()


def _pass(count: int, *, batch_size: int, prefix: str) -> tuple[int, list[str]]:
    """(statements, transaction control) of a delivery pass over `count` emails in batches of `batch_size`."""
    _queue(count, prefix=prefix)
    with CaptureQueriesContext(connection) as captured:
        result = outbox_deliver_pass(worker="statements-worker", batch_size=batch_size)
    assert (result.items, result.failures) == (count, 0)
    sql = [query["sql"] for query in captured.captured_queries]
    control = [s for s in sql if s.split()[0].upper() in {"BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE"}]
    return len(sql) - len(control), control


def test_a_pass_takes_the_same_statements_per_batch_whatever_the_emails_in_it(smtp_server):
    # given three batches of 10, then three batches of 20
    small, small_control = _pass(30, batch_size=10, prefix="small")
    large, large_control = _pass(60, batch_size=20, prefix="large")

    # then each batch costs its claim, its referenced objects, its texts and its sent outcome, and the pass one
    # more claim that finds nothing: twice the emails per batch, not one statement more
    assert small == large == 3 * (PER_BATCH - 1) + 1
    # and each claim is a transaction of its own: no BEGIN or COMMIT round trips on PostgreSQL (the statement is
    # atomic by itself), one IMMEDIATE transaction around it on SQLite (the single writer's lock, taken up front)
    expected = [] if connection.vendor == "postgresql" else ["BEGIN IMMEDIATE", "COMMIT"] * 4
    assert [s.split(" /*")[0] for s in small_control] == [s.split(" /*")[0] for s in large_control] == expected
    assert len(smtp_server.messages) == 90
