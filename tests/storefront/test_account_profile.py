import pytest
from django.urls import reverse

from autosales.customers.models import Membership
from tests.factories import make_member, make_organization, make_user

pytestmark = pytest.mark.django_db

PROFILE = reverse("storefront:profile")


def test_the_profile_needs_a_signed_in_user(client):
    response = client.get(PROFILE)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("storefront:signin"))


def test_a_user_updates_name_email_and_phone(client):
    user = make_user(email="old@example.com")
    client.force_login(user)
    response = client.post(
        PROFILE,
        {
            "action": "profile",
            "first_name": "Ada",
            "last_name": "Lovelace",
            "email": "ada@example.com",
            "phone": "+44 20 7946 0000",
        },
    )
    assert response.status_code == 302
    user.refresh_from_db()
    assert (user.get_full_name(), user.email, user.phone) == ("Ada Lovelace", "ada@example.com", "+44 20 7946 0000")


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"email": "taken@example.com"}, "email"),
        ({"email": "bad"}, "email"),
        ({"phone": "call me maybe"}, "phone"),
        ({"first_name": ""}, "first_name"),
    ],
)
def test_bad_profile_input_is_a_400_naming_the_field(client, changes, field):
    make_user(email="taken@example.com")
    user = make_user(email="me@example.com", first_name="Old")
    client.force_login(user)
    data = {"action": "profile", "first_name": "New", "last_name": "Name", "email": "me@example.com", "phone": ""}
    response = client.post(PROFILE, {**data, **changes})
    assert response.status_code == 400
    assert list(response.context["profile_form"].errors) == [field]
    user.refresh_from_db()
    assert (user.first_name, user.email) == ("Old", "me@example.com")


def test_a_user_changes_the_password_and_stays_signed_in(client):
    user = make_user(password="old-password-1")
    client.force_login(user)
    response = client.post(
        PROFILE,
        {
            "action": "password",
            "old_password": "old-password-1",
            "new_password1": "new-password-22",
            "new_password2": "new-password-22",
        },
    )
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.check_password("new-password-22")
    assert client.get(PROFILE).status_code == 200


def test_a_wrong_old_password_is_a_400_naming_the_field(client):
    user = make_user(password="old-password-1")
    client.force_login(user)
    response = client.post(
        PROFILE,
        {
            "action": "password",
            "old_password": "nope",
            "new_password1": "new-password-22",
            "new_password2": "new-password-22",
        },
    )
    assert response.status_code == 400
    assert list(response.context["password_form"].errors) == ["old_password"]
    user.refresh_from_db()
    assert user.check_password("old-password-1")


def test_a_member_of_two_organizations_switches_between_them(client):
    first = make_organization(name="First Co")
    second = make_organization(name="Second Co")
    user = make_member(organization=first)
    Membership.objects.create(user=user, organization=second)
    client.force_login(user)
    assert client.get(reverse("storefront:organization")).context["organization"] == second

    response = client.post(reverse("storefront:organization_switch"), {"organization": first.public_id})

    assert response.status_code == 302
    assert client.get(reverse("storefront:organization")).context["organization"] == first


def test_switching_to_an_organization_one_is_not_in_is_a_404(client):
    user = make_member(organization=make_organization())
    client.force_login(user)
    response = client.post(reverse("storefront:organization_switch"), {"organization": make_organization().public_id})
    assert response.status_code == 404
