import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from autosales.customers.models import Invitation, Membership
from autosales.notifications.delivery import outbox_deliver_pass
from autosales.notifications.models import OutboxEmail
from tests.factories import make_invitation, make_member, make_organization

pytestmark = pytest.mark.django_db

ORGANIZATION = reverse("storefront:organization")
INVITE = reverse("storefront:organization_invite")


@pytest.fixture
def acme():
    return make_organization(name="Acme Lighting")


@pytest.fixture
def admin(client, acme):
    user = make_member(organization=acme, role=Membership.Role.ADMIN, first_name="Ann", last_name="Admin")
    client.force_login(user)
    return user


def _membership(user, organization):
    return Membership.objects.get(user=user, organization=organization)


def test_an_admin_sees_members_invitations_and_the_invite_form(client, admin, acme):
    make_member(organization=acme, first_name="Bob", last_name="Buyer")
    make_invitation(organization=acme, email="pending@example.com")
    content = client.get(ORGANIZATION).content.decode()
    assert "Ann Admin" in content and "Bob Buyer" in content
    assert "pending@example.com" in content
    assert f'action="{INVITE}"' in content


def test_a_buyer_sees_members_but_no_management(client, acme):
    make_member(organization=acme, role=Membership.Role.ADMIN, first_name="Ann")
    make_invitation(organization=acme, email="pending@example.com")
    buyer = make_member(organization=acme)
    client.force_login(buyer)
    content = client.get(ORGANIZATION).content.decode()
    assert "Ann" in content
    assert "pending@example.com" not in content
    assert f'action="{INVITE}"' not in content


def test_an_admin_invites_a_colleague_by_email(client, admin, acme):
    response = client.post(INVITE, {"email": "colleague@example.com", "role": "buyer"})
    assert response.status_code == 302
    invitation = Invitation.objects.get(organization=acme)
    assert invitation.email == "colleague@example.com"
    outbox_deliver_pass()  # the email is rendered when it is delivered
    email = OutboxEmail.objects.get()
    assert email.to == ["colleague@example.com"]
    assert invitation.token in email.body_text


@pytest.mark.parametrize(
    ("data", "field"),
    [({"email": "not-an-email", "role": "buyer"}, "email"), ({"email": "c@example.com", "role": "boss"}, "role")],
)
def test_a_bad_invitation_is_a_400_naming_the_field(client, admin, data, field):
    response = client.post(INVITE, data)
    assert response.status_code == 400
    assert list(response.context["invitation_form"].errors) == [field]
    assert not Invitation.objects.exists()


def test_inviting_a_member_is_refused_on_the_email_field(client, admin, acme):
    make_member(organization=acme, email="member@example.com")
    response = client.post(INVITE, {"email": "member@example.com", "role": "buyer"})
    assert response.status_code == 400
    assert "already a member" in response.context["invitation_form"].errors["email"][0]


def test_a_buyer_cannot_invite_change_roles_remove_or_revoke(client, acme):
    admin = make_member(organization=acme, role=Membership.Role.ADMIN)
    buyer = make_member(organization=acme)
    invitation = make_invitation(organization=acme)
    client.force_login(buyer)
    admin_membership = _membership(admin, acme)

    assert client.post(INVITE, {"email": "c@example.com", "role": "buyer"}).status_code == 403
    assert (
        client.post(reverse("storefront:member_role", args=[admin_membership.public_id]), {"role": "buyer"}).status_code
        == 403
    )
    assert client.post(reverse("storefront:member_remove", args=[admin_membership.public_id])).status_code == 403
    assert client.post(reverse("storefront:invitation_revoke", args=[invitation.public_id])).status_code == 403

    assert _membership(admin, acme).role == "admin"
    assert Invitation.objects.filter(pk=invitation.pk).exists()
    assert Invitation.objects.count() == 1


def test_an_admin_changes_a_role_and_removes_a_member(client, admin, acme):
    buyer = make_member(organization=acme)
    public_id = _membership(buyer, acme).public_id
    assert client.post(reverse("storefront:member_role", args=[public_id]), {"role": "admin"}).status_code == 302
    assert _membership(buyer, acme).role == "admin"
    assert client.post(reverse("storefront:member_remove", args=[public_id])).status_code == 302
    assert not Membership.objects.filter(user=buyer).exists()


def test_the_last_admin_cannot_step_down_and_is_told_why(client, admin, acme):
    public_id = _membership(admin, acme).public_id
    response = client.post(reverse("storefront:member_role", args=[public_id]), {"role": "buyer"})
    assert response.status_code == 409
    assert "at least one account admin" in response.content.decode()
    assert _membership(admin, acme).role == "admin"


def test_an_unknown_role_is_a_400(client, admin, acme):
    buyer = make_member(organization=acme)
    response = client.post(
        reverse("storefront:member_role", args=[_membership(buyer, acme).public_id]), {"role": "boss"}
    )
    assert response.status_code == 400
    assert _membership(buyer, acme).role == "buyer"


def test_an_admin_revokes_an_invitation(client, admin, acme):
    invitation = make_invitation(organization=acme)
    assert client.post(reverse("storefront:invitation_revoke", args=[invitation.public_id])).status_code == 302
    assert not Invitation.objects.exists()


def test_another_organizations_members_and_invitations_are_404(client, admin):
    # given another organization with a member and an invitation
    other = make_organization()
    their_member = make_member(organization=other, role=Membership.Role.ADMIN)
    their_invitation = make_invitation(organization=other)
    public_id = _membership(their_member, other).public_id

    # then this admin cannot reach them
    assert client.post(reverse("storefront:member_role", args=[public_id]), {"role": "buyer"}).status_code == 404
    assert client.post(reverse("storefront:member_remove", args=[public_id])).status_code == 404
    assert client.post(reverse("storefront:invitation_revoke", args=[their_invitation.public_id])).status_code == 404
    assert _membership(their_member, other).role == "admin"
    assert Invitation.objects.filter(pk=their_invitation.pk).exists()


def test_a_buyer_leaves_the_organization(client, acme):
    make_member(organization=acme, role=Membership.Role.ADMIN)
    buyer = make_member(organization=acme)
    client.force_login(buyer)
    response = client.post(reverse("storefront:member_remove", args=[_membership(buyer, acme).public_id]))
    assert response.status_code == 302
    assert not Membership.objects.filter(user=buyer).exists()


def test_the_members_list_uses_the_same_queries_for_3_or_30_members(client, admin, acme):
    for _ in range(2):
        make_member(organization=acme)
        make_invitation(organization=acme)
    with CaptureQueriesContext(connection) as few:
        assert client.get(ORGANIZATION).status_code == 200
    for _ in range(27):
        make_member(organization=acme)
        make_invitation(organization=acme)
    with CaptureQueriesContext(connection) as many:
        response = client.get(ORGANIZATION)
    assert response.content.decode().count('id="member-') == 30
    assert len(many) == len(few)
