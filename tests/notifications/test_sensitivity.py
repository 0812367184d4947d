"""Security emails are flagged when queued, from their template (notifications.sensitivity)."""

import pytest

from autosales.customers.services import invitation_create
from autosales.notifications.models import OutboxEmail
from autosales.notifications.sensitivity import email_body_visible_to
from autosales.notifications.services import email_queue
from tests.factories import make_member, make_user

pytestmark = pytest.mark.django_db


def test_an_invitation_is_a_security_email_and_a_test_email_is_not():
    admin = make_member(role="admin")
    invitation_create(
        organization=admin.memberships.get().organization, inviter=admin, email="newcomer@example.com", role="buyer"
    )
    test_email = email_queue(to="newcomer@example.com", template="notifications/test", context={})
    invitation_email = OutboxEmail.objects.get(template="customers/invitation")
    assert invitation_email.sensitive and not test_email.sensitive


def test_an_email_django_builds_itself_is_a_security_email(client, settings):
    settings.EMAIL_BACKEND = "autosales.notifications.backends.OutboxBackend"  # the product's, not the test runner's
    make_user(username="ada", email="ada@example.com")
    client.post("/account/password-reset/", {"email": "ada@example.com"})
    (reset,) = OutboxEmail.objects.all()
    assert reset.to == ["ada@example.com"] and reset.sensitive


def test_only_a_recipient_reads_a_security_emails_body():
    email = email_queue(to="Ada <ADA@example.com>", template="customers/invitation", context={"accept_url": "/x"})
    assert email_body_visible_to(email=email, user=make_user(email="ada@example.com"))
    assert not email_body_visible_to(email=email, user=make_user(email="bob@example.com"))
    assert not email_body_visible_to(email=email, user=make_user(email=""))
