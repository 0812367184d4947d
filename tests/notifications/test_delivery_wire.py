"""The bytes an outbox email goes out as (`notifications.mime`): the same message Django would build, and the
same message again when it is sent a second time."""

import datetime as dt
import email
from email import policy

import pytest
from django.core.mail import EmailMessage, EmailMultiAlternatives

from autosales.core import clock
from autosales.notifications import delivery
from autosales.notifications.attachments import Attachment, attachment_reference, attachment_renderer
from autosales.notifications.mime import Part, wire
from autosales.notifications.models import OutboxEmail
from autosales.notifications.services import email_queue, email_queue_message

NOTE = bytes(range(256)) * 40  # binary, several base64 lines


@attachment_renderer("tests.note")
def _note(reference: str) -> Attachment:
    return Attachment(filename=f"note-{reference}.bin", content=NOTE + reference.encode(), mimetype="application/pdf")


def _parse(data: bytes):
    return email.message_from_bytes(data, policy=policy.default)


def _meaning(message) -> dict:
    """What a reader gets from a message: the headers that matter, both bodies, each attachment's file."""
    return {
        "headers": {
            name: str(message[name]).strip() if message[name] is not None else None
            for name in ("Subject", "From", "To", "Cc", "Reply-To", "Message-ID", "List-Unsubscribe", "Bcc")
        },
        "text": message.get_body(("plain",)).get_content(),
        "html": (message.get_body(("html",)) or message.get_body(("plain",))).get_content(),
        "attachments": [
            (part.get_filename(), part.get_content_type(), _file(part)) for part in message.iter_attachments()
        ],
    }


def _file(part) -> bytes:
    content = part.get_payload(decode=True)
    # A text file's lines end in CRLF on the wire when it is sent as text (Django) and as they were in base64.
    return content.replace(b"\r\n", b"\n") if part.get_content_maintype() == "text" else content


def test_the_wire_bytes_say_what_djangos_message_says():
    fields = {
        "message_id": "order-5-confirmation@example.com",
        "from_email": "Café Shop <shop@example.com>",
        "to": ["buyer@example.com", "Jörg <j@exämple.com>"],
        "cc": ["cc@example.com"],
        "bcc": ["audit@example.com"],
        "reply_to": ["help@example.com"],
        "subject": "Bestätigung Nr. 5 – " + "lange Zeile " * 12,
        # a line longer than SMTP allows, and a line that starts with a dot
        "body_text": "Grüße\n.a dot line\n" + "x" * 1200 + "\n",
        "body_html": "<p>Grüße</p>\n",
        "headers": {"List-Unsubscribe": "<https://shop.example.com/unsubscribe/abc>"},
        "attachments": [
            Part("Rechnung é.pdf", NOTE, "application/pdf"),
            Part("notes.txt", b"plain words\n", "text/plain"),
        ],
    }
    sent = wire(**fields)
    django = EmailMultiAlternatives(
        subject=fields["subject"],
        body=fields["body_text"],
        from_email=fields["from_email"],
        to=fields["to"],
        cc=fields["cc"],
        bcc=fields["bcc"],
        reply_to=fields["reply_to"],
        headers={**fields["headers"], "Message-ID": f"<{fields['message_id']}>"},
    )
    django.attach_alternative(fields["body_html"], "text/html")
    for part in fields["attachments"]:
        django.attach(part.filename, part.content, part.mimetype)

    assert _meaning(_parse(sent.data)) == _meaning(_parse(django.message().as_bytes(linesep="\r\n")))
    assert sent.recipients == [
        "buyer@example.com",
        "=?utf-8?b?SsO2cmc=?= <j@xn--exmple-cua.com>",
        "cc@example.com",
        "audit@example.com",
    ]
    assert sent.sender == "=?utf-8?q?Caf=C3=A9_Shop?= <shop@example.com>"
    assert b"Bcc" not in sent.data and b"audit@" not in sent.data
    lines = sent.data.split(b"\r\n")
    assert max(len(line) for line in lines) <= 998 and b"\n" not in sent.data.replace(b"\r\n", b"")
    assert not _parse(sent.data).defects


def test_a_header_with_a_line_break_is_refused():
    with pytest.raises(ValueError, match="newlines"):
        wire(
            message_id="a@example.com",
            from_email="shop@example.com",
            to=["buyer@example.com"],
            cc=[],
            bcc=[],
            reply_to=[],
            subject="Hello",
            body_text="Hi\n",
            body_html="",
            headers={"X-Note": "a\r\nBcc: victim@example.com"},
            attachments=[],
        )


@pytest.mark.django_db
def test_an_email_sent_again_is_the_same_message_with_its_attachments(smtp_server, settings, monkeypatch):
    # given a template email with a file made at delivery, and a ready-made email with a kept file
    templated = email_queue(
        to="buyer@example.com",
        template="notifications/test",
        context={"queued_at": "now", "transport": "smtp"},
        attachments=[attachment_reference(kind="tests.note", reference="inv-1")],
    )
    ready = EmailMessage(
        subject="Your statement", body="Attached.\n", from_email="shop@example.com", to=["owner@example.com"]
    )
    ready.attach("Übersicht.csv", b"a,b\n1,2\n", "text/csv")
    ready_made = email_queue_message(message=ready)

    # when the worker dies after the server accepted both, before it recorded anything (simulated: the recording
    # raises, as a killed process would never reach it)
    def died(**kwargs):
        raise SystemExit("worker stopped")

    with monkeypatch.context() as patch:
        patch.setattr(delivery, "outbox_record", died)
        with pytest.raises(SystemExit):
            delivery.outbox_deliver_pass()
    first = {str(m["Message-ID"]): m for m in smtp_server.messages}
    assert len(first) == 2
    # and another worker takes them after the lease
    clock.advance(dt.timedelta(seconds=settings.OUTBOX_LEASE_SECONDS + 1))
    smtp_server.clear()
    delivery.outbox_deliver_pass()

    # then each arrives again as the same message: Message-ID, headers, both bodies, the same files
    again = {str(m["Message-ID"]): m for m in smtp_server.messages}
    assert set(again) == set(first) == {f"<{templated.message_id}>", f"<{ready_made.message_id}>"}
    for message_id, message in again.items():
        assert _meaning(message) == _meaning(first[message_id])
    assert _meaning(again[f"<{templated.message_id}>"])["attachments"] == [
        ("note-inv-1.bin", "application/pdf", NOTE + b"inv-1")
    ]
    assert _meaning(again[f"<{ready_made.message_id}>"])["attachments"] == [
        ("Übersicht.csv", "text/csv", b"a,b\n1,2\n")
    ]
    assert OutboxEmail.objects.filter(status=OutboxEmail.Status.SENT).count() == 2
