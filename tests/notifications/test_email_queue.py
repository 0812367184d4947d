import pytest
from django.db import transaction

from autosales.core.errors import DomainError
from autosales.notifications.models import OutboxEmail
from autosales.notifications.services import email_queue, email_render
from tests.factories import make_organization

pytestmark = pytest.mark.django_db


def test_email_queue_writes_one_rendered_branded_row(settings):
    # given a related object
    organization = make_organization(name="Acme Lighting")
    # when an email is queued
    email = email_queue(
        to="buyer@example.com",
        template="notifications/test",
        context={"queued_at": "today", "transport": "smtp", "organization": organization},
        related=organization,
    )
    # then one pending row holds the rendered subject, text and branded HTML
    email.refresh_from_db()
    assert OutboxEmail.objects.count() == 1
    assert email.status == OutboxEmail.Status.PENDING
    assert email.to == ["buyer@example.com"]
    assert email.subject == f"Test email from {settings.SHOP['name']}"
    assert "This is a test email" in email.body_text and "<" not in email.body_text.split("\n")[0]
    assert settings.SHOP["primary_colour"] in email.body_html
    assert settings.SHOP["address"] in email.body_html
    assert email.template == "notifications/test"
    assert email.related == organization
    assert email.context["organization"] == {
        "model": "customers.Organization",
        "pk": str(organization.pk),
        "str": "Acme Lighting",
    }
    assert email.message_id.endswith("@example.com")
    assert email.from_email == settings.DEFAULT_FROM_EMAIL


def test_email_render_is_the_same_for_the_same_input():
    context = {"queued_at": "2030-01-01", "transport": "smtp"}
    assert email_render(template="notifications/test", context=context) == email_render(
        template="notifications/test", context=context
    )


def test_email_queue_with_the_same_message_id_queues_once():
    first = email_queue(to="a@example.com", template="notifications/test", context={}, message_id="order-42-placed")
    again = email_queue(to="a@example.com", template="notifications/test", context={}, message_id="<order-42-placed>")
    assert first.pk == again.pk
    assert first.message_id == "order-42-placed@example.com"
    assert OutboxEmail.objects.count() == 1


def test_email_queue_is_part_of_the_business_transaction():
    # when the business transaction rolls back after queueing
    with pytest.raises(RuntimeError), transaction.atomic():
        email_queue(to="a@example.com", template="notifications/test", context={})
        raise RuntimeError("the order failed")
    # then no email is owed
    assert OutboxEmail.objects.count() == 0


@pytest.mark.parametrize(
    ("kwargs", "field", "code"),
    [
        ({"to": "not-an-address"}, "to", "invalid_recipient"),
        ({"to": ["ok@example.com", "bad@"]}, "to", "invalid_recipient"),
        ({"to": []}, "to", "no_recipient"),
        ({"template": "notifications/nope"}, "template", "unknown_template"),
        ({"message_id": "has space"}, "message_id", "invalid_message_id"),
    ],
)
def test_email_queue_rejects_bad_input_naming_the_field(kwargs, field, code):
    arguments = {"to": "a@example.com", "template": "notifications/test", "context": {}, **kwargs}
    with pytest.raises(DomainError) as error:
        email_queue(**arguments)
    assert error.value.field == field
    assert error.value.code == code
    assert OutboxEmail.objects.count() == 0
