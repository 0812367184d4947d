import datetime as dt
import json
from dataclasses import dataclass
from decimal import Decimal

import pytest
from django.db import transaction

from autosales.core.errors import DomainError
from autosales.core.money import Money
from autosales.notifications.context import context_dump, context_load
from autosales.notifications.models import OutboxEmail
from autosales.notifications.services import email_queue, email_render, outbox_email_render
from tests.factories import make_organization

pytestmark = pytest.mark.django_db


@dataclass(frozen=True)
class Line:
    sku: str
    quantity: int


@dataclass(frozen=True)
class Quote:
    total: Money
    lines: tuple[Line, ...]


def test_email_queue_writes_one_row_with_the_template_and_its_kept_context(settings):
    # given a related object
    organization = make_organization(name="Acme Lighting")
    # when an email is queued
    email = email_queue(
        to="buyer@example.com",
        template="notifications/test",
        context={"queued_at": "today", "transport": "smtp", "organization": organization, "total": Decimal("9.50")},
        related=organization,
    )
    # then one pending row holds the template and its context as plain JSON (ids and values), not yet rendered
    email.refresh_from_db()
    assert OutboxEmail.objects.count() == 1
    assert email.status == OutboxEmail.Status.PENDING
    assert email.to == ["buyer@example.com"]
    assert email.template == "notifications/test"
    assert (email.subject, email.body_text, email.body_html) == ("", "", "")
    assert email.related == organization
    assert email.context["organization"] == {"$model": "customers.Organization", "pk": organization.pk}
    assert email.context["total"] == {"$decimal": "9.50"}
    assert email.message_id.endswith("@example.com")
    assert email.from_email == settings.DEFAULT_FROM_EMAIL
    # and rendering it gives the subject, text and branded HTML
    subject, text, html = outbox_email_render(email=email)
    assert subject == f"Test email from {settings.SHOP['name']}"
    assert "This is a test email" in text and "<" not in text.split("\n")[0]
    assert settings.SHOP["primary_colour"] in html
    assert settings.SHOP["address"] in html


def test_the_kept_context_gives_templates_back_what_the_caller_passed():
    # given a context with a model, money, times and a dataclass, as callers pass them
    organization = make_organization(name="Acme Lighting")
    at = dt.datetime(2030, 1, 2, 15, 30, tzinfo=dt.UTC)
    quote = Quote(total=Money(Decimal("12.5"), "USD"), lines=(Line(sku="A-1", quantity=3),))
    context = {"organization": organization, "at": at, "day": at.date(), "quote": quote, "rows": ["a", 1]}
    # when it is kept as JSON and loaded again
    loaded = context_load(json.loads(json.dumps(context_dump(context))))
    # then the values are what they were (the model loaded anew, a dataclass as a mapping of its fields)
    assert loaded["organization"] == organization
    assert (loaded["at"], loaded["day"], loaded["rows"]) == (at, at.date(), ["a", 1])
    assert loaded["quote"] == {"total": Money(Decimal("12.5"), "USD"), "lines": [{"sku": "A-1", "quantity": 3}]}


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
        ({"to": []}, "to", "no_recipient"),
        ({"to": ["", "  "]}, "to", "no_recipient"),
        ({"message_id": "has space"}, "message_id", "invalid_message_id"),
    ],
)
def test_email_queue_rejects_what_the_caller_got_wrong_naming_the_field(kwargs, field, code):
    arguments = {"to": "a@example.com", "template": "notifications/test", "context": {}, **kwargs}
    with pytest.raises(DomainError) as error:
        email_queue(**arguments)
    assert error.value.field == field
    assert error.value.code == code
    assert OutboxEmail.objects.count() == 0


@pytest.mark.parametrize(
    "kwargs",
    [
        {"to": "not-an-address"},
        {"to": ["ok@example.com", "bad@"]},
        {"template": "notifications/nope"},
        {"time_zone": "Mars/Olympus_Mons"},
    ],
)
def test_email_queue_never_fails_on_the_content_it_is_rendered_from_later(kwargs):
    # a bad address, template or time zone is found at delivery and fails that email, not the business change
    arguments = {"to": "a@example.com", "template": "notifications/test", "context": {}, **kwargs}
    email = email_queue(**arguments)
    assert email.status == OutboxEmail.Status.PENDING
    with pytest.raises(Exception):  # noqa: B017  (each breaks in its own way; delivery records the reason)
        outbox_email_render(email=email)
