import datetime as dt
import zoneinfo

import pytest
from django.utils import timezone
from django.utils.formats import localize

from autosales.core import clock
from autosales.notifications.delivery import outbox_deliver_pass
from autosales.notifications.models import OutboxEmail
from autosales.notifications.services import email_queue, email_resend
from autosales.notifications.transitions import outbox_claim_due, retry_delay

pytestmark = pytest.mark.django_db


def queue(to="buyer@example.com", **kwargs):
    return email_queue(
        to=to, template="notifications/test", context={"queued_at": "now", "transport": "smtp"}, **kwargs
    )


def test_a_queued_email_arrives_over_smtp_with_the_right_content(smtp_server, settings):
    # given an email in the outbox
    email = queue()
    # when the delivery job runs
    [message] = smtp_server.deliver()
    # then it arrives once, as queued, with the row's Message-ID, in text and HTML
    assert message["Subject"] == f"Test email from {settings.SHOP['name']}"
    assert message["To"] == "buyer@example.com"
    assert message["Message-ID"] == f"<{email.message_id}>"
    assert "This is a test email" in message.get_body(("plain",)).get_content()
    assert settings.SHOP["primary_colour"] in message.get_body(("html",)).get_content()
    email.refresh_from_db()
    assert email.status == OutboxEmail.Status.SENT
    assert email.transport == "smtp"
    assert email.sent_at is not None and email.attempts == 1
    assert email.claimed_by == "" and email.claimed_until is None
    # and a second pass sends nothing more
    assert smtp_server.deliver() == []


def test_emails_wait_during_an_outage_and_arrive_exactly_once_when_it_ends(smtp_server):
    # given the mail server is down
    smtp_server.stop()
    emails = [queue(to=f"b{i}@example.com") for i in range(3)]
    # when delivery runs during the outage
    result = outbox_deliver_pass()
    # then nothing is lost: every email waits with the reason and a later attempt time
    assert result.items == 0 and result.failures == 3
    for email in emails:
        email.refresh_from_db()
        assert email.status == OutboxEmail.Status.PENDING
        assert "cannot reach the mail server" in email.last_error
        assert email.next_attempt_at > clock.now()
    # and running again before the backoff is up does not retry them
    smtp_server.start()
    assert smtp_server.deliver() == []
    # when the backoff has passed and the server is back
    clock.advance(dt.timedelta(hours=2))
    arrived = smtp_server.deliver()
    # then each email arrives exactly once
    assert sorted(m["To"] for m in arrived) == ["b0@example.com", "b1@example.com", "b2@example.com"]
    assert smtp_server.deliver() == []
    assert set(smtp_server.message_ids().values()) == {1}
    assert OutboxEmail.objects.filter(status=OutboxEmail.Status.SENT).count() == 3


def test_a_refused_recipient_is_a_permanent_failure_that_staff_can_resend(smtp_server):
    # given the server refuses the recipient for good
    smtp_server.refuse("gone@example.com", "550 5.1.1 No such user here")
    email = queue(to="gone@example.com")
    other = queue(to="fine@example.com")
    # when delivery runs
    arrived = smtp_server.deliver()
    # then the email failed with the server's reason and the other still went out
    email.refresh_from_db()
    assert email.status == OutboxEmail.Status.FAILED
    assert "550" in email.last_error and "No such user" in email.last_error
    assert [m["To"] for m in arrived] == ["fine@example.com"]
    other.refresh_from_db()
    assert other.status == OutboxEmail.Status.SENT
    # when the address is fixed on the server side and staff re-send it
    smtp_server.accept("gone@example.com")
    email_resend(email=email)
    arrived = smtp_server.deliver()
    # then it arrives
    assert [m["To"] for m in arrived] == ["gone@example.com"]
    email.refresh_from_db()
    assert email.status == OutboxEmail.Status.SENT


def test_a_temporary_smtp_refusal_is_retried_later(smtp_server):
    smtp_server.refuse("busy@example.com", "451 4.3.0 Try again later")
    email = queue(to="busy@example.com")
    outbox_deliver_pass()
    email.refresh_from_db()
    assert email.status == OutboxEmail.Status.PENDING
    assert "451" in email.last_error
    assert email.attempts == 1


def test_an_email_fails_for_good_after_its_last_attempt(smtp_server, settings):
    settings.OUTBOX_MAX_ATTEMPTS = 2
    smtp_server.refuse("busy@example.com", "451 4.3.0 Try again later")
    email = queue(to="busy@example.com")
    outbox_deliver_pass()
    clock.advance(dt.timedelta(hours=2))
    outbox_deliver_pass()
    email.refresh_from_db()
    assert email.status == OutboxEmail.Status.FAILED
    assert email.attempts == 2
    assert "gave up after 2 attempts" in email.last_error


def test_an_email_whose_worker_died_is_sent_after_the_lease_runs_out(smtp_server, settings):
    # given a worker claimed an email and died before sending it
    email = queue()
    [claimed] = outbox_claim_due(worker="dead-worker", limit=10)
    assert claimed.status == OutboxEmail.Status.SENDING
    # when another worker runs before the lease ends, it leaves the email alone
    assert smtp_server.deliver() == []
    # when the lease has run out
    clock.advance(dt.timedelta(seconds=settings.OUTBOX_LEASE_SECONDS + 1))
    arrived = smtp_server.deliver()
    # then the email is sent once
    assert len(arrived) == 1
    email.refresh_from_db()
    assert email.status == OutboxEmail.Status.SENT and email.attempts == 2


def test_mailbox_mode_delivers_without_leaving_the_machine(settings):
    settings.EMAIL_URL = "mailbox://"
    email = queue()
    result = outbox_deliver_pass()
    email.refresh_from_db()
    assert result.items == 1
    assert email.status == OutboxEmail.Status.SENT and email.transport == "mailbox"


def test_a_bad_email_url_keeps_emails_waiting_with_the_reason(settings):
    settings.EMAIL_URL = "carrier-pigeon://"
    email = queue()
    result = outbox_deliver_pass()
    email.refresh_from_db()
    assert result.failures == 1
    assert email.status == OutboxEmail.Status.PENDING
    assert "EMAIL_URL" in email.last_error


@pytest.mark.parametrize("attempts", [1, 2, 5, 10, 30])
def test_retry_delay_grows_exponentially_with_jitter_and_a_cap(settings, attempts):
    settings.OUTBOX_BACKOFF_BASE_SECONDS = 30
    settings.OUTBOX_BACKOFF_MAX_SECONDS = 3600
    ceiling = min(3600, 30 * 2 ** (attempts - 1))
    for _ in range(20):
        delay = retry_delay(attempts=attempts).total_seconds()
        assert ceiling / 2 <= delay <= ceiling


def test_an_email_is_rendered_at_delivery_in_its_time_zone_and_kept_as_sent(smtp_server):
    # given an email queued with a time and the recipient's time zone
    at = dt.datetime(2030, 1, 1, 12, 0, tzinfo=dt.UTC)
    email = email_queue(
        to="buyer@example.com",
        template="notifications/test",
        context={"queued_at": at, "transport": "smtp"},
        time_zone="America/Chicago",
    )
    # when it is delivered
    [message] = smtp_server.deliver()
    # then its time reads in that zone, and the row keeps what was sent (the back office shows it)
    chicago = localize(timezone.localtime(at, zoneinfo.ZoneInfo("America/Chicago")))
    assert chicago in message.get_body(("plain",)).get_content()
    assert localize(at) not in message.get_body(("plain",)).get_content()
    email.refresh_from_db()
    assert email.status == OutboxEmail.Status.SENT
    assert chicago in email.body_text and email.subject == message["Subject"]
    assert "This is a test email" in email.body_text and "<h1" in email.body_html


def test_an_email_that_cannot_be_rendered_fails_with_the_reason_and_the_others_go_out(smtp_server):
    broken = email_queue(to="a@example.com", template="notifications/nope", context={})
    other = queue(to="b@example.com")
    arrived = smtp_server.deliver()
    assert [m["To"] for m in arrived] == ["b@example.com"]
    broken.refresh_from_db()
    other.refresh_from_db()
    assert broken.status == OutboxEmail.Status.FAILED
    assert "cannot render emails/notifications/nope" in broken.last_error
    assert "no email template" in broken.last_error.lower()
    assert other.status == OutboxEmail.Status.SENT


def test_an_email_that_stops_its_worker_every_time_ends_failed_after_the_maximum_attempts(smtp_server, settings):
    # given an email whose every delivery stops the worker before it records anything (claimed, never released)
    settings.OUTBOX_MAX_ATTEMPTS = 3
    email = queue()
    for _ in range(settings.OUTBOX_MAX_ATTEMPTS):
        assert [e.pk for e in outbox_claim_due(worker="crashing-worker", limit=10)] == [email.pk]
        clock.advance(dt.timedelta(seconds=settings.OUTBOX_LEASE_SECONDS + 1))
    # when delivery claims it once more
    arrived = smtp_server.deliver()
    # then it is not tried again: it is failed, with the reason, for staff to look at and re-send
    assert arrived == []
    email.refresh_from_db()
    assert email.status == OutboxEmail.Status.FAILED
    assert "gave up after 3 attempts" in email.last_error
    assert email.claimed_by == ""
    # and later passes leave it alone
    clock.advance(dt.timedelta(hours=2))
    assert smtp_server.deliver() == []


def test_the_connection_kept_between_passes_is_opened_again_when_the_server_dropped_it(smtp_server):
    from autosales.notifications import delivery

    # given a pass that sent an email and kept its connection open
    queue(to="first@example.com")
    assert len(smtp_server.deliver()) == 1
    smtp = delivery._local.smtp  # the worker's SMTP process, which holds the connection
    opened = smtp.connections
    # when the server drops its connections meanwhile (a restart) and another email is due
    smtp_server.stop()
    smtp_server.start()
    email = queue(to="second@example.com")
    arrived = smtp_server.deliver()
    # then the email goes out at once on a new connection, not after a retry's backoff
    assert [m["To"] for m in arrived] == ["second@example.com"]
    email.refresh_from_db()
    assert email.status == OutboxEmail.Status.SENT and email.attempts == 1
    assert smtp.connections == opened + 1 and delivery._local.smtp is smtp


def test_a_worker_keeps_one_connection_for_its_batches_and_passes(smtp_server):
    from autosales.notifications import delivery

    for n in range(5):
        queue(to=f"kept{n}@example.com")
    # the worker's SMTP process holds the connection: how many it has opened so far (a new process: none)
    before = getattr(delivery._local, "smtp", None)
    opened = before.connections if before is not None and before.alive else 0
    outbox_deliver_pass(batch_size=2)
    smtp = delivery._local.smtp
    assert smtp.connections == opened + 1
    queue(to="later@example.com")
    outbox_deliver_pass(batch_size=2)
    assert smtp.connections == opened + 1 and delivery._local.smtp is smtp
    assert len(smtp_server.messages) == 6
