"""One sign-in throttle for every form that checks a password (django-axes, set up in settings and
customers.signin_throttle): failures count per username and client address together, a lock lasts the cool-off,
a successful sign-in forgets the failures, and API bearer tokens are not passwords."""

import pytest
from axes.models import AccessAttempt
from django.conf import settings
from django.urls import reverse

from tests.factories import make_user

pytestmark = pytest.mark.django_db

SIGNIN = reverse("storefront:signin")
LIMIT = settings.AXES_FAILURE_LIMIT


def _fail(client, times, *, username="ada", ip="203.0.113.9"):
    for _ in range(times):
        response = client.post(SIGNIN, {"username": username, "password": "guess"}, REMOTE_ADDR=ip)
        assert response.status_code in (400, 429)


def _sign_in(client, *, username="ada", ip="203.0.113.9"):
    return client.post(SIGNIN, {"username": username, "password": "right-password-1"}, REMOTE_ADDR=ip)


@pytest.fixture
def ada():
    return make_user(username="ada", email="ada@example.com", password="right-password-1")


def test_after_the_limit_the_right_password_is_refused_with_a_clear_message(client, ada):
    # given the allowance of failures used up for ada from one address
    _fail(client, LIMIT)

    # when the right password comes next from there
    response = _sign_in(client)

    # then the store's sign-in page says why, with 429, and nobody is signed in
    assert response.status_code == 429
    page = response.content.decode()
    assert "Too many failed sign-ins" in page and 'name="password"' in page
    assert "_auth_user_id" not in client.session


def test_the_lock_holds_for_the_username_and_address_together(client, ada):
    # given ada locked out from one address
    _fail(client, LIMIT)
    assert _sign_in(client).status_code == 429

    # then another user still signs in from that address, and ada from another address
    make_user(username="bob", password="right-password-1")
    assert _sign_in(client, username="bob").status_code == 302
    client.logout()
    assert _sign_in(client, ip="198.51.100.7").status_code == 302


def test_signing_in_by_email_counts_against_the_same_account(client, ada):
    _fail(client, LIMIT - 1, username="ada@example.com")
    _fail(client, 1, username="ada")
    assert _sign_in(client).status_code == 429


def test_a_lock_ends_after_the_cool_off(client, ada):
    # given ada locked out
    _fail(client, LIMIT)
    assert _sign_in(client).status_code == 429

    # when the failures are older than the cool-off (moved back in the database: axes reads the wall clock)
    AccessAttempt.objects.update(attempt_time=AccessAttempt.objects.get().attempt_time - settings.AXES_COOLOFF_TIME)

    # then the right password works again
    assert _sign_in(client).status_code == 302


def test_a_successful_sign_in_forgets_the_failures(client, ada):
    _fail(client, LIMIT - 1)
    assert _sign_in(client).status_code == 302
    client.logout()
    _fail(client, LIMIT - 1)
    assert _sign_in(client).status_code == 302


def test_a_forwarded_for_header_does_not_change_the_address_that_counts(client, ada):
    # X-Forwarded-For is whatever the client says; the server in front (waitress, with trusted proxies configured)
    # puts the real client in REMOTE_ADDR, and that is the address that counts.
    for n in range(LIMIT):
        client.post(
            SIGNIN,
            {"username": "ada", "password": "guess"},
            REMOTE_ADDR="203.0.113.9",
            HTTP_X_FORWARDED_FOR=f"10.0.0.{n}",
        )
    response = client.post(
        SIGNIN,
        {"username": "ada", "password": "right-password-1"},
        REMOTE_ADDR="203.0.113.9",
        HTTP_X_FORWARDED_FOR="10.9.9.9",
    )
    assert response.status_code == 429


def test_the_admin_sign_in_locks_after_the_limit_and_refuses_the_right_password(client):
    # given a superuser, and someone guessing their password at the admin sign-in
    make_user(username="root", password="right-password-1", is_staff=True, is_superuser=True)
    url = reverse("admin:login")
    for _ in range(LIMIT - 1):
        assert client.post(url, {"username": "root", "password": "guess"}).status_code == 400  # the form again
    assert client.post(url, {"username": "root", "password": "guess"}).status_code == 429  # the last one allowed

    # when the right password comes next
    response = client.post(url, {"username": "root", "password": "right-password-1", "next": "/admin/"})

    # then it is refused with 429 and the reason, and nobody is signed in
    assert response.status_code == 429
    assert "Too many failed sign-ins" in response.content.decode()
    assert settings.SHOP["name"] in response.content.decode()  # the store's one sign-in page and brand
    assert "_auth_user_id" not in client.session
    assert client.get("/admin/").status_code == 302  # still the sign-in page


def test_api_bearer_tokens_are_not_counted_as_sign_ins(client, ada):
    for _ in range(LIMIT + 1):
        response = client.get("/api/v1/orders", HTTP_AUTHORIZATION="Bearer not-a-real-token")
        assert response.status_code == 401
    assert not AccessAttempt.objects.exists()
    assert _sign_in(client).status_code == 302
