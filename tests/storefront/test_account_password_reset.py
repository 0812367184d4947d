import re

import pytest
from django.core import mail
from django.urls import reverse

from autosales.notifications.models import OutboxEmail
from tests.factories import make_user

pytestmark = pytest.mark.django_db


def test_a_forgotten_password_is_reset_through_the_emailed_link(client):
    # given a user who forgot their password
    user = make_user(email="ada@example.com", password="old-password-1", first_name="Ada")

    # when they ask for a reset
    response = client.post(reverse("storefront:password_reset"), {"email": "ADA@example.com"})
    assert response.status_code == 302
    assert response["Location"] == reverse("storefront:password_reset_done")
    assert client.get(response["Location"]).status_code == 200

    # then one branded email carries a link (Django's test runner keeps it in mail.outbox)
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["ada@example.com"]
    assert message.subject == "Reset your Bright Bulbs Supply password"
    assert "Hello Ada" in message.body
    link = re.search(r"https?://[^/\s]+(/account/password-reset/[^\s]+/)", message.body).group(1)

    # and following it lets them choose a new password
    page = client.get(link, follow=True)
    assert page.status_code == 200
    assert page.context["validlink"]
    form_url = page.redirect_chain[-1][0]
    weak = client.post(form_url, {"new_password1": "abc", "new_password2": "abc"})
    assert weak.status_code == 400
    assert "new_password2" in weak.context["form"].errors
    done = client.post(form_url, {"new_password1": "brand-new-password-2", "new_password2": "brand-new-password-2"})
    assert done.status_code == 302
    assert done["Location"] == reverse("storefront:password_reset_complete")
    assert client.get(done["Location"]).status_code == 200
    user.refresh_from_db()
    assert user.check_password("brand-new-password-2")

    # and the link does not work twice
    again = client.get(link, follow=True)
    assert not again.context["validlink"]


def test_an_unknown_email_gets_the_same_answer_and_no_email(client):
    response = client.post(reverse("storefront:password_reset"), {"email": "nobody@example.com"})
    assert response.status_code == 302
    assert mail.outbox == []


def test_a_malformed_email_is_a_400_naming_the_field(client):
    response = client.post(reverse("storefront:password_reset"), {"email": "not-an-email"})
    assert response.status_code == 400
    assert list(response.context["form"].errors) == ["email"]
    assert mail.outbox == []


def test_with_the_products_email_backend_the_reset_email_is_an_outbox_row(client, settings):
    # given the backend production uses (the test runner otherwise swaps in locmem)
    settings.EMAIL_BACKEND = "autosales.notifications.backends.OutboxBackend"
    make_user(email="ada@example.com")

    client.post(reverse("storefront:password_reset"), {"email": "ada@example.com"})

    email = OutboxEmail.objects.get()
    assert email.to == ["ada@example.com"]
    assert email.subject == "Reset your Bright Bulbs Supply password"
    assert "/account/password-reset/" in email.body_text
