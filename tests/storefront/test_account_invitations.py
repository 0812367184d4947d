import datetime as dt

import pytest
from django.urls import reverse

from autosales.core import clock
from autosales.customers.models import Membership, Organization, User
from tests.factories import make_invitation, make_member, make_organization, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def acme():
    return make_organization(name="Acme Lighting")


@pytest.fixture
def invitation(acme):
    inviter = make_member(organization=acme, role=Membership.Role.ADMIN, first_name="Ann", last_name="Admin")
    return make_invitation(organization=acme, email="new@example.com", role="buyer", invited_by=inviter)


def _url(invitation):
    return reverse("storefront:invitation_accept", args=[invitation.token])


def test_a_newcomer_creates_an_account_and_joins(client, invitation, acme):
    page = client.get(_url(invitation))
    assert page.status_code == 200
    assert "Ann Admin invited new@example.com" in page.content.decode()

    response = client.post(
        _url(invitation), {"first_name": "New", "last_name": "Colleague", "password": "a-long-enough-passphrase"}
    )

    assert response.status_code == 302
    user = User.objects.get(email="new@example.com")
    assert client.session["_auth_user_id"] == str(user.pk)
    assert [m.organization for m in user.memberships.all()] == [acme]
    assert Organization.objects.count() == 1


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"first_name": "", "last_name": "C", "password": "a-long-enough-passphrase"}, "first_name"),
        ({"first_name": "N", "last_name": "C", "password": "12345678"}, "password"),
    ],
)
def test_a_newcomers_bad_input_is_a_400_naming_the_field(client, invitation, data, field):
    response = client.post(_url(invitation), data)
    assert response.status_code == 400
    assert list(response.context["form"].errors) == [field]
    assert not User.objects.filter(email="new@example.com").exists()


def test_a_signed_in_user_joins_with_one_click(client, invitation, acme):
    user = make_member(organization=make_organization(kind=Organization.Kind.PRIVATE), email="new@example.com")
    client.force_login(user)
    assert "Join Acme Lighting" in client.get(_url(invitation)).content.decode()
    response = client.post(_url(invitation))
    assert response.status_code == 302
    assert response["Location"] == reverse("storefront:organization")
    assert Membership.objects.get(user=user, organization=acme).role == "buyer"
    assert client.get(reverse("storefront:organization")).context["organization"] == acme


def test_someone_with_an_account_is_asked_to_sign_in_first(client, invitation):
    make_user(email="new@example.com")
    page = client.get(_url(invitation))
    assert f"{reverse('storefront:signin')}?next=" in page.content.decode()
    response = client.post(
        _url(invitation), {"first_name": "X", "last_name": "Y", "password": "a-long-enough-passphrase"}
    )
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("storefront:signin"))
    assert User.objects.filter(email="new@example.com").count() == 1


def test_an_unknown_token_is_a_404(client):
    assert client.get(reverse("storefront:invitation_accept", args=["not-a-token"])).status_code == 404


def test_a_used_or_expired_invitation_is_gone(client, invitation):
    clock.advance(dt.timedelta(days=15))
    response = client.get(_url(invitation))
    assert response.status_code == 410
    assert "expired" in response.content.decode()
    assert (
        client.post(
            _url(invitation), {"first_name": "N", "last_name": "C", "password": "a-long-enough-passphrase"}
        ).status_code
        == 410
    )
    assert not User.objects.filter(email="new@example.com").exists()


def test_an_accepted_invitation_cannot_be_used_again(client, invitation):
    client.force_login(make_user())
    assert client.post(_url(invitation)).status_code == 302
    client.force_login(make_user())
    response = client.post(_url(invitation))
    assert response.status_code == 410
    assert "already used" in response.content.decode()


def test_a_member_accepting_again_is_told_so(client, acme):
    member = make_member(organization=acme)
    invitation = make_invitation(organization=acme, email=member.email)
    client.force_login(member)
    response = client.post(_url(invitation))
    assert response.status_code == 409
    assert "already a member" in response.content.decode()
