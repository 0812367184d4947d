"""Who reads which email in the back office: other people's mail (the outbox, the whole mailbox) and the jobs are
for managers and superusers; a security email's body (a password-reset link, an invitation) only for its
recipient, whoever else may see the outbox."""

import re

import pytest
from django.urls import reverse

from autosales.notifications.delivery import outbox_deliver_pass
from autosales.notifications.models import OutboxEmail
from autosales.notifications.services import email_queue
from tests.factories import make_staff, make_user

pytestmark = pytest.mark.django_db

RESET_LINK = re.compile(r"/account/password-reset/[^/\s]+/[^/\s]+/")


@pytest.fixture(autouse=True)
def _mailbox(request, settings):
    settings.EMAIL_BACKEND = "autosales.notifications.backends.OutboxBackend"  # the product's, not the test runner's
    if "smtp_server" not in request.fixturenames:
        settings.EMAIL_URL = "mailbox://"  # the demo: delivered emails stay readable in the back office


def _reset_requested_for(client, email: str) -> OutboxEmail:
    """A password reset asked for `email` from the store (by anyone: the form needs no sign-in), delivered."""
    client.post(reverse("storefront:password_reset"), {"email": email})
    outbox_deliver_pass()
    (reset,) = [e for e in OutboxEmail.objects.all() if e.to[0].lower() == email.lower()]
    assert RESET_LINK.search(reset.body_text)  # the link is there to be stolen
    return reset


def _pages(email: OutboxEmail) -> list[str]:
    return [
        reverse("backoffice:outbox"),
        reverse("backoffice:outbox_detail", args=[email.public_id]),
        reverse("backoffice:email_html", args=[email.public_id]),
        reverse("backoffice:mailbox"),
        reverse("backoffice:mailbox_detail", args=[email.public_id]),
    ]


@pytest.mark.parametrize("role", ["fulfillment", "salesperson"])
def test_a_clerk_or_salesperson_cannot_read_the_managers_password_reset(client, role):
    # given a manager, and a staff user of another role who asks for a reset of the manager's password
    make_staff(group="manager", username="boss", email="boss@example.com")
    clerk = make_staff(group=role, username="clerk", email="clerk@example.com")
    reset = _reset_requested_for(client, "boss@example.com")
    client.force_login(clerk)

    # when the clerk opens every page that shows emails
    responses = [client.get(url) for url in _pages(reset)]

    # then none of them shows the link, nor lists the email
    for response in responses:
        assert not RESET_LINK.search(response.content.decode()), response.request["PATH_INFO"]
        assert reset.subject not in response.content.decode()
    outbox, detail, html, mailbox, mailbox_detail = (r.status_code for r in responses)
    assert (outbox, detail, html) == (403, 403, 404)
    assert mailbox == 200 and mailbox_detail == 404


def test_a_manager_sees_a_security_email_in_the_outbox_but_not_its_body(client):
    # given another user's password reset, and a manager
    make_user(username="ada", email="ada@example.com")
    reset = _reset_requested_for(client, "ada@example.com")
    assert reset.sensitive
    client.force_login(make_staff(group="manager", username="boss", email="boss@example.com"))

    # then the manager finds it in the outbox and the mailbox, with its recipient and status
    assert reset.subject in client.get(reverse("backoffice:outbox")).content.decode()
    assert reset.subject in client.get(reverse("backoffice:mailbox")).content.decode()
    for url in _pages(reset)[1:2] + _pages(reset)[4:]:
        page = client.get(url).content.decode()
        assert "ada@example.com" in page and reset.subject in page
        # but the body is withheld, and says why
        assert not RESET_LINK.search(page)
        assert "security email" in page
        assert reverse("backoffice:email_html", args=[reset.public_id]) not in page
    assert client.get(reverse("backoffice:email_html", args=[reset.public_id])).status_code == 404


def test_a_superuser_does_not_read_another_users_security_email_either(client):
    make_user(username="ada", email="ada@example.com")
    reset = _reset_requested_for(client, "ada@example.com")
    client.force_login(make_user(username="root", email="root@example.com", is_staff=True, is_superuser=True))
    page = client.get(reverse("backoffice:outbox_detail", args=[reset.public_id])).content.decode()
    assert reset.subject in page and not RESET_LINK.search(page)


def test_the_recipient_reads_their_own_security_email_in_the_mailbox(client):
    # given a salesperson who asked for their own reset
    me = make_staff(group="salesperson", username="sam", email="Sam@Example.com")
    reset = _reset_requested_for(client, "Sam@Example.com")
    client.force_login(me)

    # then the mailbox lists it and shows the link
    assert reset.subject in client.get(reverse("backoffice:mailbox")).content.decode()
    page = client.get(reverse("backoffice:mailbox_detail", args=[reset.public_id])).content.decode()
    assert RESET_LINK.search(page)


def test_the_mailbox_shows_a_user_only_their_own_mail_unless_they_may_see_the_outbox(client):
    # given mail to a salesperson and to a customer
    sam = make_staff(group="salesperson", username="sam", email="sam@example.com")
    to_sam = email_queue(to="sam@example.com", template="notifications/test", context={"transport": "mailbox"})
    to_buyer = email_queue(to="buyer@example.com", template="notifications/test", context={"transport": "mailbox"})
    outbox_deliver_pass()

    # then the salesperson's mailbox holds their own mail only, and another's answers 404
    client.force_login(sam)
    listing = client.get(reverse("backoffice:mailbox")).content.decode()
    assert to_sam.public_id in listing and to_buyer.public_id not in listing
    assert client.get(reverse("backoffice:mailbox_detail", args=[to_buyer.public_id])).status_code == 404
    assert client.get(reverse("backoffice:email_html", args=[to_buyer.public_id])).status_code == 404
    assert client.get(reverse("backoffice:email_html", args=[to_sam.public_id])).status_code == 200

    # and a manager's holds everyone's, bodies included (these are not security emails)
    client.force_login(make_staff(group="manager", username="boss", email="boss@example.com"))
    listing = client.get(reverse("backoffice:mailbox")).content.decode()
    assert to_sam.public_id in listing and to_buyer.public_id in listing
    page = client.get(reverse("backoffice:mailbox_detail", args=[to_buyer.public_id])).content.decode()
    assert "This is a test email" in page


@pytest.mark.parametrize(
    ("name", "args", "method"),
    [
        ("backoffice:jobs", [], "get"),
        ("backoffice:job_run", ["outbox.deliver"], "post"),
        ("backoffice:outbox", [], "get"),
    ],
)
def test_jobs_and_the_outbox_are_for_managers(client, name, args, method):
    url = reverse(name, args=args)
    client.force_login(make_staff(group="fulfillment"))
    assert getattr(client, method)(url).status_code == 403
    client.force_login(make_staff(group="manager"))
    assert getattr(client, method)(url).status_code in (200, 302)


def test_resending_needs_the_outbox_permission(client, smtp_server):
    smtp_server.refuse("gone@example.com")
    email = email_queue(to="gone@example.com", template="notifications/test", context={})
    outbox_deliver_pass()
    email.refresh_from_db()
    assert email.status == OutboxEmail.Status.FAILED
    client.force_login(make_staff(group="salesperson"))
    assert client.post(reverse("backoffice:outbox_resend", args=[email.public_id])).status_code == 403
    email.refresh_from_db()
    assert email.status == OutboxEmail.Status.FAILED


def test_the_navigation_shows_only_the_pages_a_user_may_open(client):
    client.force_login(make_staff(group="fulfillment"))
    nav = client.get(reverse("backoffice:notifications")).content.decode()
    assert reverse("backoffice:mailbox") in nav
    assert reverse("backoffice:outbox") not in nav and reverse("backoffice:jobs") not in nav
    client.force_login(make_staff(group="manager"))
    nav = client.get(reverse("backoffice:notifications")).content.decode()
    assert reverse("backoffice:outbox") in nav and reverse("backoffice:jobs") in nav
