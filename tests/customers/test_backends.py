import pytest
from django.contrib.auth import BACKEND_SESSION_KEY, authenticate, get_user
from django.test import Client

from autosales.customers.backends import SIGN_IN_BACKEND, UserBackend
from autosales.customers.models import User
from tests.factories import make_member, make_organization

pytestmark = pytest.mark.django_db


def test_the_signed_in_user_is_read_again_as_the_orm_reads_it():
    # given a customer who acts for one of their organizations
    organization = make_organization()
    user = make_member(organization=organization, first_name="Dana", email="dana@example.com")
    user.current_organization = organization
    user.save()

    # when the backend reads them again by the id a session keeps (a string)
    found = UserBackend().get_user(str(user.pk))

    # then every field is what the ORM reads
    expected = User.objects.get(pk=user.pk)
    assert found == expected
    assert {f.attname: getattr(found, f.attname) for f in User._meta.concrete_fields} == {
        f.attname: getattr(expected, f.attname) for f in User._meta.concrete_fields
    }
    assert found.current_organization_id == organization.pk and not found._state.adding


@pytest.mark.parametrize("user_id", ["999999", "not-a-number", ""])
def test_no_user_for_an_unknown_or_malformed_id(user_id):
    assert UserBackend().get_user(user_id) is None


def test_a_deactivated_user_is_signed_out_at_their_next_request():
    user = make_member(password="a long passphrase 1")
    client = Client()
    client.force_login(user)
    assert client.session[BACKEND_SESSION_KEY] == SIGN_IN_BACKEND

    User.objects.filter(pk=user.pk).update(is_active=False)

    assert UserBackend().get_user(str(user.pk)) is None
    request = type("Request", (), {"session": client.session})()
    assert not get_user(request).is_authenticated


def test_a_password_sign_in_records_this_backend(rf):
    user = make_member(username="pat", password="a long passphrase 2")
    request = rf.post("/signin/")
    signed_in = authenticate(request, username="pat", password="a long passphrase 2")
    assert signed_in == user and signed_in.backend == SIGN_IN_BACKEND
    assert authenticate(request, username="pat", password="wrong") is None
