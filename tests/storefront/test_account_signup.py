import pytest
from django.urls import reverse

from autosales.customers.models import Organization, User
from tests.factories import make_user

pytestmark = pytest.mark.django_db

SIGNUP = reverse("storefront:signup")
VALID = {
    "first_name": "Ada",
    "last_name": "Lovelace",
    "email": "ada@example.com",
    "password": "a-long-enough-passphrase",
}


def test_signing_up_makes_a_private_account_and_signs_in(client):
    response = client.post(SIGNUP, VALID)
    assert response.status_code == 302
    user = User.objects.get(email="ada@example.com")
    assert client.session["_auth_user_id"] == str(user.pk)
    organization = user.memberships.get().organization
    assert organization.kind == Organization.Kind.PRIVATE


def test_signing_up_for_a_business_makes_a_business_account(client):
    client.post(SIGNUP, {**VALID, "for_business": "on", "business_name": "Acme Lighting"})
    organization = User.objects.get(email="ada@example.com").memberships.get().organization
    assert (organization.kind, organization.name) == (Organization.Kind.BUSINESS, "Acme Lighting")


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"first_name": ""}, "first_name"),
        ({"last_name": ""}, "last_name"),
        ({"email": "not-an-email"}, "email"),
        ({"email": ""}, "email"),
        ({"password": "123456789"}, "password"),
        ({"password": "short"}, "password"),
        ({"for_business": "on", "business_name": ""}, "business_name"),
        ({"email": "taken@example.com"}, "email"),
    ],
)
def test_bad_input_is_a_400_naming_the_field_and_creates_nothing(client, changes, field):
    make_user(email="taken@example.com")
    response = client.post(SIGNUP, {**VALID, **changes})
    assert response.status_code == 400
    assert list(response.context["form"].errors) == [field]
    assert User.objects.count() == 1
    assert not Organization.objects.exists()
    assert "_auth_user_id" not in client.session


def test_signing_up_goes_back_to_next(client):
    response = client.post(SIGNUP, {**VALID, "next": "/cart/"})
    assert response["Location"] == "/cart/"
