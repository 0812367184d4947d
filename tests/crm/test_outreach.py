"""Emails written from a profile: sent through the outbox to a real SMTP server and on the timeline once."""

import pytest
from django.urls import reverse

from autosales.core.errors import DomainError
from autosales.crm.models import Activity
from autosales.crm.outreach import email_write
from autosales.crm.timeline import timeline_sync
from tests.factories import make_contact, make_organization, make_salesperson

pytestmark = pytest.mark.django_db


def test_an_email_from_the_profile_reaches_the_contact_and_the_timeline_once(client, smtp_server):
    sales = make_salesperson(first_name="Riley", last_name="Morgan", email="riley@example.com")
    organization = make_organization(salesperson=sales)
    elena = make_contact(organization=organization, name="Elena Garcia", email="elena@harborview.example")
    client.force_login(sales)

    response = client.post(
        reverse("backoffice:crm_email_write", args=[organization.public_id]),
        {"contact": elena.public_id, "subject": "Your revised quote", "body": "Hi Elena,\n\nAttached is the quote."},
    )

    assert response.status_code == 302
    [message] = smtp_server.deliver()
    assert message["To"] == "elena@harborview.example" and message["Subject"] == "Your revised quote"
    text = message.get_body(preferencelist=("plain",)).get_content()
    assert "Attached is the quote." in text and "Riley Morgan" in text
    timeline_sync()
    entries = Activity.objects.filter(organization=organization)
    assert [(a.kind, a.direction, a.contact, a.author) for a in entries] == [("email", "outbound", elena, sales)]


def test_a_contact_without_an_email_or_another_account_is_refused():
    sales = make_salesperson()
    organization = make_organization(salesperson=sales)
    nobody = make_contact(organization=organization, email="")
    with pytest.raises(DomainError) as error:
        email_write(organization=organization, actor=sales, contact=nobody, subject="x", body="y")
    assert error.value.field == "contact"
    other = make_organization(salesperson=make_salesperson())
    with pytest.raises(DomainError):
        email_write(organization=other, actor=sales, contact=make_contact(organization=other), subject="x", body="y")
    assert not Activity.objects.exists()
