import pytest
from django.contrib.auth.forms import PasswordResetForm
from django.core import mail
from django.core.exceptions import ImproperlyConfigured
from django.core.mail import EmailMultiAlternatives, send_mail

from autosales.notifications.backends import transport_config
from autosales.notifications.models import OutboxEmail
from tests.factories import make_user

OUTBOX = "autosales.notifications.backends.OutboxBackend"


@pytest.mark.django_db
def test_django_send_mail_goes_through_the_outbox(settings, smtp_server):
    # given Django's email backend is the outbox (the product's setting; the test runner swaps it for locmem)
    settings.EMAIL_BACKEND = OUTBOX
    # when Django code sends an email
    count = send_mail("Hello", "Plain body", None, ["someone@example.com"])
    # then it is an outbox row, not an SMTP call
    assert count == 1
    email = OutboxEmail.objects.get()
    assert (email.subject, email.body_text, email.to) == ("Hello", "Plain body", ["someone@example.com"])
    assert smtp_server.messages == []
    # and the delivery job sends it
    [message] = smtp_server.deliver()
    assert message["Subject"] == "Hello"


@pytest.mark.django_db
def test_a_django_message_keeps_its_html_cc_reply_to_headers_and_attachments(settings, smtp_server):
    settings.EMAIL_BACKEND = OUTBOX
    message = EmailMultiAlternatives(
        "Invoice",
        "See attached.",
        "billing@example.com",
        ["a@example.com"],
        cc=["c@example.com"],
        bcc=["hidden@example.com"],
        reply_to=["help@example.com"],
        headers={"Message-ID": "<invoice-7@example.com>", "X-Kind": "invoice"},
    )
    message.attach_alternative("<p>See attached.</p>", "text/html")
    message.attach("invoice.pdf", b"%PDF-1.4 fake", "application/pdf")
    message.send()
    email = OutboxEmail.objects.get()
    assert email.message_id == "invoice-7@example.com"
    [received] = smtp_server.deliver()
    assert received["Message-ID"] == "<invoice-7@example.com>"
    assert received["Cc"] == "c@example.com" and received["Reply-To"] == "help@example.com"
    assert received["X-Kind"] == "invoice"
    assert received.get_body(("html",)).get_content().strip() == "<p>See attached.</p>"
    [attachment] = list(received.iter_attachments())
    assert attachment.get_filename() == "invoice.pdf"
    assert attachment.get_content() == b"%PDF-1.4 fake"
    assert sorted(smtp_server.envelope_recipients()[0]) == ["a@example.com", "c@example.com", "hidden@example.com"]


@pytest.mark.django_db
def test_the_password_reset_email_is_written_to_the_outbox(settings):
    settings.EMAIL_BACKEND = OUTBOX
    make_user(username="forgetful", email="forgetful@example.com")
    form = PasswordResetForm(data={"email": "forgetful@example.com"})
    assert form.is_valid()
    # (the product's own reset templates belong to the accounts pages; any templates show the path)
    form.save(
        domain_override="shop.example.com",
        subject_template_name="emails/notifications/test.subject.txt",
        email_template_name="emails/notifications/test.txt",
        html_email_template_name="emails/notifications/test.html",
    )
    email = OutboxEmail.objects.get()
    assert email.to == ["forgetful@example.com"]
    assert "This is a test email" in email.body_text
    assert "<h1" in email.body_html


def test_tests_keep_django_locmem_outbox_by_default():
    send_mail("Hi", "Body", None, ["x@example.com"])
    assert [m.subject for m in mail.outbox] == ["Hi"]


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("smtp://mail.example.com", ("smtp", "mail.example.com", 25, "", "", False, False)),
        ("smtp://u%40x:p%2Fw@mail.example.com:2525", ("smtp", "mail.example.com", 2525, "u@x", "p/w", False, False)),
        ("smtp://mail.example.com?tls=1", ("smtp", "mail.example.com", 587, "", "", True, False)),
        ("smtp+tls://u:p@mail.example.com", ("smtp", "mail.example.com", 587, "u", "p", True, False)),
        ("smtps://mail.example.com", ("smtp", "mail.example.com", 465, "", "", False, True)),
        ("mailbox://", ("mailbox", "", 0, "", "", False, False)),
        ("console://", ("console", "", 0, "", "", False, False)),
    ],
)
def test_email_url_is_parsed(url, expected):
    config = transport_config(url)
    assert (
        config.name,
        config.host,
        config.port,
        config.username,
        config.password,
        config.use_tls,
        config.use_ssl,
    ) == expected


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("", "unknown scheme"),
        ("http://mail.example.com", "unknown scheme"),
        ("smtp://", "needs a host"),
        ("smtp://mail.example.com:notaport", "Port"),
        ("smtp://mail.example.com?tls=maybe", "tls="),
        ("smtps://mail.example.com?tls=1", "choose one"),
        ("smtp://mail.example.com?timeout=0", "timeout"),
    ],
)
def test_a_bad_email_url_is_refused_with_the_reason(url, reason):
    with pytest.raises(ImproperlyConfigured, match=reason):
        transport_config(url)
