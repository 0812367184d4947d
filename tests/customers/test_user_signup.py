import pytest

from autosales.core.errors import DomainError
from autosales.customers.models import Membership, Organization, User
from autosales.customers.selectors import organization_for_user
from autosales.customers.services import user_signup
from tests.factories import make_user

pytestmark = pytest.mark.django_db

PASSWORD = "a-long-enough-passphrase"


def test_user_signup_makes_a_private_account_with_the_user_as_its_admin():
    # when a person signs up without a company
    user = user_signup(email="Ada@Example.COM", password=PASSWORD, first_name="Ada", last_name="Lovelace")

    # then they have a private organization they administer, and act for it
    membership = Membership.objects.get(user=user)
    assert membership.role == Membership.Role.ADMIN
    assert membership.organization.kind == Organization.Kind.PRIVATE
    assert membership.organization.name == "Ada Lovelace"
    assert organization_for_user(user=user) == membership.organization
    assert user.email == "Ada@example.com"
    assert user.check_password(PASSWORD)


def test_user_signup_with_a_company_makes_a_business_account():
    user = user_signup(
        email="buyer@acme.test",
        password=PASSWORD,
        first_name="Bo",
        last_name="Buyer",
        business_name="  Acme  Lighting ",
    )
    organization = organization_for_user(user=user)
    assert organization.kind == Organization.Kind.BUSINESS
    assert organization.name == "Acme Lighting"
    assert organization.email == "buyer@acme.test"


def test_user_signup_refuses_an_email_already_used_whatever_its_case():
    # given an account for an address
    make_user(email="taken@example.com")

    # when someone signs up with the same address in other case
    with pytest.raises(DomainError) as raised:
        user_signup(email="TAKEN@example.com", password=PASSWORD, first_name="T", last_name="K")

    # then it is refused on the email field and nothing is created
    assert (raised.value.field, raised.value.code) == ("email", "email_taken")
    assert User.objects.count() == 1
    assert Organization.objects.count() == 0


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"email": "not-an-email"}, "email"),
        ({"first_name": " "}, "first_name"),
        ({"last_name": ""}, "last_name"),
        ({"password": "123"}, "password"),
        ({"password": "password"}, "password"),
        ({"business_name": "x" * 201}, "business_name"),
        ({"email": "a" * 64 + "@" + ("b" * 60 + ".") * 4 + "com"}, "email"),
        ({"first_name": "x" * 151}, "first_name"),
    ],
)
def test_user_signup_rejects_bad_input_naming_the_field_and_changes_nothing(fields, field):
    values = {"email": "new@example.com", "password": PASSWORD, "first_name": "Ne", "last_name": "Wer", **fields}
    with pytest.raises(DomainError) as raised:
        user_signup(**values)
    assert raised.value.field == field
    assert User.objects.count() == 0
    assert Organization.objects.count() == 0


def test_user_signup_picks_a_free_username_when_the_email_is_someones_username():
    make_user(username="ada@example.com", email="other@example.com")
    user = user_signup(email="ada@example.com", password=PASSWORD, first_name="Ada", last_name="L")
    assert user.username != "ada@example.com"
    assert user.username.startswith("ada-")


def test_user_signup_with_the_longest_names_fits_the_private_account_name():
    user = user_signup(email="long@example.com", password=PASSWORD, first_name="F" * 150, last_name="L" * 150)
    assert len(organization_for_user(user=user).name) == 200
