import pytest

from autosales.core.errors import DomainError
from autosales.customers.services import profile_update
from tests.factories import make_user

pytestmark = pytest.mark.django_db


def test_profile_update_saves_name_email_and_phone():
    user = make_user(email="old@example.com")
    profile_update(user=user, first_name=" Grace ", last_name="Hopper", email="grace@Navy.MIL", phone="+1 555 010 0100")
    user.refresh_from_db()
    assert (user.first_name, user.last_name, user.email, user.phone) == (
        "Grace",
        "Hopper",
        "grace@navy.mil",
        "+1 555 010 0100",
    )


def test_profile_update_keeps_the_own_email():
    user = make_user(email="me@example.com")
    profile_update(user=user, first_name="Me", last_name="Myself", email="ME@example.com")
    user.refresh_from_db()
    assert user.first_name == "Me"


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"email": "taken@example.com"}, "email"),
        ({"email": "nope"}, "email"),
        ({"phone": "call me"}, "phone"),
        ({"first_name": ""}, "first_name"),
    ],
)
def test_profile_update_rejects_bad_input_and_changes_nothing(fields, field):
    make_user(email="taken@example.com")
    user = make_user(email="me@example.com", first_name="Old", last_name="Name")
    values = {"first_name": "New", "last_name": "Name", "email": "me@example.com", "phone": "", **fields}
    with pytest.raises(DomainError) as raised:
        profile_update(user=user, **values)
    assert raised.value.field == field
    user.refresh_from_db()
    assert (user.first_name, user.email) == ("Old", "me@example.com")
