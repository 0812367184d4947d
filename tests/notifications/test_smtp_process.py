"""The SMTP conversation runs in a process of the worker's own (`notifications.smtp_process`), against the real
SMTP server on loopback."""

import os
import signal

import pytest

from autosales.notifications import delivery
from autosales.notifications.backends import smtp_options, transport_config
from autosales.notifications.mime import Wire
from autosales.notifications.models import OutboxEmail
from autosales.notifications.services import email_queue
from autosales.notifications.smtp_process import SendFailed, SMTPProcess

pytestmark = pytest.mark.django_db


def queue(to):
    return email_queue(to=to, template="notifications/test", context={"queued_at": "now", "transport": "smtp"})


def wire(n: int) -> Wire:
    return Wire(
        sender="shop@example.com",
        recipients=[f"r{n}@example.com"],
        data=f"Message-ID: <m{n}@example.com>\r\nSubject: {n}\r\n\r\nbody {n}\r\n".encode(),
    )


@pytest.fixture
def smtp_process(smtp_server):
    process = SMTPProcess(smtp_options(transport_config(smtp_server.url)))
    yield process
    process.stop()


def test_emails_are_sent_by_a_process_of_the_workers_own(smtp_server):
    # given an email due
    queue("own@example.com")
    # when this thread delivers it
    [message] = smtp_server.deliver()
    # then it arrived, sent by a child process that stays for the next passes
    assert message["To"] == "own@example.com"
    smtp = delivery._local.smtp
    assert smtp.pid != os.getpid() and smtp.alive
    queue("next@example.com")
    assert [m["To"] for m in smtp_server.deliver()] == ["next@example.com"]
    assert delivery._local.smtp is smtp


def test_a_stopped_smtp_process_is_started_again_and_no_email_is_lost(smtp_server):
    # given a worker whose SMTP process was killed after a pass
    queue("before@example.com")
    smtp_server.deliver()
    killed = delivery._local.smtp
    os.kill(killed.pid, signal.SIGKILL)
    killed.process.wait()
    # when emails are due again
    emails = [queue(f"after{n}@example.com") for n in range(3)]
    arrived = smtp_server.deliver()
    # then a new process sends each of them once, on their first attempt
    assert sorted(m["To"] for m in arrived) == [f"after{n}@example.com" for n in range(3)]
    assert delivery._local.smtp is not killed and delivery._local.smtp.alive
    for email in emails:
        email.refresh_from_db()
        assert email.status == OutboxEmail.Status.SENT and email.attempts == 1


def test_an_email_handed_to_a_process_that_stopped_is_a_temporary_failure(smtp_process, smtp_server):
    # given a process that sent one email, then died
    assert smtp_process.submit(1, wire(1), dropped=set()).result(timeout=30) is True
    os.kill(smtp_process.pid, signal.SIGKILL)
    smtp_process.process.wait()
    # when the next emails are handed to it
    futures = [smtp_process.submit(n, wire(n), dropped=set()) for n in (2, 3)]
    # then each fails as one to retry after the backoff, saying why, and nothing more arrived
    for future in futures:
        with pytest.raises(SendFailed) as failed:
            future.result(timeout=30)
        assert failed.value.failure.temporary and failed.value.failure.connection_lost
        assert "SMTP process stopped" in failed.value.failure.reason
    assert len(smtp_server.messages) == 1 and not smtp_process.alive


def test_an_email_given_up_on_before_its_turn_is_not_sent(smtp_process, smtp_server):
    # given the second of three emails was given up on (its lease lost) before the process got to it
    dropped = {2}
    futures = [smtp_process.submit(n, wire(n), dropped=dropped) for n in (1, 2, 3)]
    # then the other two are sent, in order, and it is not
    assert [future.result(timeout=30) for future in futures] == [True, False, True]
    assert [m["Subject"] for m in smtp_server.messages] == ["1", "3"]


def test_a_refused_recipient_comes_back_classified_and_the_next_email_still_goes(smtp_process, smtp_server):
    smtp_server.refuse("r1@example.com")
    first, second = (smtp_process.submit(n, wire(n), dropped=set()) for n in (1, 2))
    with pytest.raises(SendFailed) as failed:
        first.result(timeout=30)
    assert not failed.value.failure.temporary and "r1@example.com: SMTP 550" in failed.value.failure.reason
    assert second.result(timeout=30) is True
    assert [m["Subject"] for m in smtp_server.messages] == ["2"]


def test_the_process_leaves_stop_signals_to_its_worker_and_ends_when_the_worker_stops_it(smtp_process):
    # given a running SMTP process, and a stop signal sent to the worker's group (systemd, a terminal): the worker
    # may finish its batch
    assert smtp_process.submit(1, wire(1), dropped=set()).result(timeout=30) is True
    os.kill(smtp_process.pid, signal.SIGTERM)
    os.kill(smtp_process.pid, signal.SIGINT)
    # then its SMTP process still sends what it is handed
    assert smtp_process.submit(2, wire(2), dropped=set()).result(timeout=30) is True
    # and ends, cleanly, once the worker stops it (or goes away: its input ends either way)
    smtp_process.stop()
    assert smtp_process.process.returncode == 0 and not smtp_process.alive
