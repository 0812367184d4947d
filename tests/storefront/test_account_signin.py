import pytest
from django.conf import settings
from django.urls import reverse

from tests.factories import make_user

pytestmark = pytest.mark.django_db

SIGNIN = reverse("storefront:signin")


def test_sign_in_page_shows_the_form(client):
    response = client.get(SIGNIN)
    assert response.status_code == 200
    assert b'name="username"' in response.content
    assert b'name="password"' in response.content


@pytest.mark.parametrize("login", ["ada", "ADA@example.com"])
def test_sign_in_with_username_or_email_goes_to_next(client, login):
    make_user(username="ada", email="ada@example.com", password="right-password-1")
    response = client.post(SIGNIN, {"username": login, "password": "right-password-1", "next": "/account/"})
    assert response.status_code == 302
    assert response["Location"] == "/account/"
    assert client.get("/account/").context["user"].username == "ada"


def test_sign_in_ignores_a_next_on_another_site(client):
    make_user(username="ada", password="right-password-1")
    response = client.post(SIGNIN, {"username": "ada", "password": "right-password-1", "next": "https://evil.test/"})
    assert response.status_code == 302
    assert response["Location"] == reverse("storefront:home")


def test_a_wrong_password_is_a_400_naming_the_fields(client):
    make_user(username="ada", password="right-password-1")
    response = client.post(SIGNIN, {"username": "ada", "password": "wrong"})
    assert response.status_code == 400
    assert "correct email (or username) and password" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_missing_fields_are_named(client):
    response = client.post(SIGNIN, {"username": "", "password": ""})
    assert response.status_code == 400
    form = response.context["form"]
    assert set(form.errors) == {"username", "password"}


def test_too_many_failures_lock_sign_in_even_with_the_right_password(client):
    # given an account whose failures are used up
    make_user(username="ada", password="right-password-1")
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert client.post(SIGNIN, {"username": "ada", "password": "guess"}).status_code == 400
    assert client.post(SIGNIN, {"username": "ada", "password": "guess"}).status_code == 429  # the last one allowed

    # when the right password comes next
    response = client.post(SIGNIN, {"username": "ada", "password": "right-password-1"})

    # then sign-in is refused with 429 and a reason
    assert response.status_code == 429
    assert "Too many failed sign-ins" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_sign_out_is_a_post_and_ends_the_session(client):
    user = make_user()
    client.force_login(user)
    assert client.get(reverse("storefront:signout")).status_code == 405
    response = client.post(reverse("storefront:signout"))
    assert response.status_code == 302
    assert "_auth_user_id" not in client.session


def test_header_offers_sign_in_and_sign_up_to_visitors(client):
    content = client.get(reverse("storefront:home")).content.decode()
    assert reverse("storefront:signin") in content
    assert reverse("storefront:signup") in content
    assert reverse("storefront:signout") not in content


def test_header_offers_account_organization_and_sign_out_when_signed_in(client):
    client.force_login(make_user(first_name="Ada", last_name="Lovelace"))
    content = client.get(reverse("storefront:home")).content.decode()
    assert "Ada Lovelace" in content
    assert reverse("storefront:profile") in content
    assert reverse("storefront:organization") in content
    assert f'action="{reverse("storefront:signout")}"' in content
    assert "Back office" not in content


def test_header_shows_the_back_office_to_staff(client):
    client.force_login(make_user(is_staff=True))
    assert "Back office" in client.get(reverse("storefront:home")).content.decode()
