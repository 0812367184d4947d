import pytest
from django.core.management import CommandError, call_command

from autosales.notifications.models import OutboxEmail

pytestmark = pytest.mark.django_db


def test_send_test_queues_through_the_outbox_and_deliver_sends_it(smtp_server, capsys):
    call_command("outbox", "send-test", "ops@example.com")
    email = OutboxEmail.objects.get()
    assert email.status == OutboxEmail.Status.PENDING and email.template == "notifications/test"
    assert smtp_server.messages == []
    call_command("outbox", "deliver")
    [message] = smtp_server.messages
    assert message["To"] == "ops@example.com"
    assert f"smtp://127.0.0.1:{smtp_server.port}" in message.get_body(("plain",)).get_content()
    assert "sent 1, not sent 0" in capsys.readouterr().out


def test_status_counts_each_status(settings, capsys):
    settings.EMAIL_URL = "mailbox://"
    call_command("outbox", "send-test", "a@example.com", "--deliver")
    call_command("outbox", "send-test", "b@example.com")
    capsys.readouterr()
    call_command("outbox", "status")
    out = capsys.readouterr().out
    assert "transport: mailbox://" in out
    assert "pending  1" in out and "sent     1" in out and "failed   0" in out


def test_send_test_refuses_a_bad_address():
    with pytest.raises(CommandError, match="ADDRESS: 'nobody' is not an email address"):
        call_command("outbox", "send-test", "nobody")
    assert not OutboxEmail.objects.exists()


def test_retry_failed_queues_failed_emails_again(smtp_server, capsys):
    smtp_server.refuse("gone@example.com")
    call_command("outbox", "send-test", "gone@example.com", "--deliver")
    assert OutboxEmail.objects.get().status == OutboxEmail.Status.FAILED
    call_command("outbox", "retry", "--failed")
    assert "queued 1 failed email again" in capsys.readouterr().out
    assert OutboxEmail.objects.get().status == OutboxEmail.Status.PENDING
