import datetime as dt

import pytest

from autosales.core import clock
from autosales.core.errors import Conflict, DomainError, NotFound, PermissionDenied
from autosales.customers.models import Invitation, Membership, Organization, User
from autosales.customers.selectors import invitation_by_token, invitations_pending, organization_for_user
from autosales.customers.services import (
    invitation_accept,
    invitation_accept_signup,
    invitation_create,
    invitation_revoke,
)
from autosales.notifications.delivery import outbox_deliver_pass
from autosales.notifications.models import OutboxEmail
from tests.factories import make_invitation, make_member, make_organization, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def acme():
    return make_organization(name="Acme Lighting")


@pytest.fixture
def admin(acme):
    return make_member(organization=acme, role=Membership.Role.ADMIN, first_name="Ann", last_name="Admin")


def test_invitation_create_stores_it_and_queues_the_email(acme, admin):
    # when an account admin invites a colleague
    invitation = invitation_create(organization=acme, inviter=admin, email="Colleague@Example.com", role="buyer")

    # then the invitation is pending for two weeks
    assert invitation.email == "Colleague@example.com"
    assert invitation.expires_at - invitation.created_at == pytest.approx(
        dt.timedelta(days=14), abs=dt.timedelta(seconds=5)
    )
    assert list(invitations_pending(organization=acme)) == [invitation]

    # and one email with the acceptance link is in the outbox, tied to the invitation (rendered at delivery)
    outbox_deliver_pass()
    email = OutboxEmail.objects.get()
    assert email.to == ["Colleague@example.com"]
    assert email.subject == "Ann Admin invited you to order for Acme Lighting at Bright Bulbs Supply"
    assert f"/account/invitations/{invitation.token}/" in email.body_text
    assert f"/account/invitations/{invitation.token}/" in email.body_html
    assert "Buyer" in email.body_text
    assert email.related_id == str(invitation.pk)


def test_inviting_the_same_email_again_renews_the_invitation(acme, admin):
    first = invitation_create(organization=acme, inviter=admin, email="c@example.com", role="buyer")
    clock.advance(dt.timedelta(days=10))
    again = invitation_create(organization=acme, inviter=admin, email="C@example.com", role="admin")
    assert again.pk == first.pk
    assert again.role == "admin"
    assert again.expires_at > first.expires_at
    assert Invitation.objects.count() == 1
    assert OutboxEmail.objects.count() == 2


def test_a_buyer_cannot_invite(acme):
    buyer = make_member(organization=acme)
    with pytest.raises(PermissionDenied):
        invitation_create(organization=acme, inviter=buyer, email="c@example.com", role="buyer")
    assert not Invitation.objects.exists()
    assert not OutboxEmail.objects.exists()


def test_an_outsider_cannot_invite_to_another_organization(acme):
    outsider = make_member(organization=make_organization(), role=Membership.Role.ADMIN)
    with pytest.raises(NotFound):
        invitation_create(organization=acme, inviter=outsider, email="c@example.com", role="buyer")


@pytest.mark.parametrize(("email", "role", "field"), [("nope", "buyer", "email"), ("c@example.com", "owner", "role")])
def test_invitation_create_rejects_bad_input_naming_the_field(acme, admin, email, role, field):
    with pytest.raises(DomainError) as raised:
        invitation_create(organization=acme, inviter=admin, email=email, role=role)
    assert raised.value.field == field
    assert not Invitation.objects.exists()


def test_inviting_a_member_is_refused(acme, admin):
    make_member(organization=acme, email="member@example.com")
    with pytest.raises(Conflict) as raised:
        invitation_create(organization=acme, inviter=admin, email="MEMBER@example.com", role="buyer")
    assert raised.value.code == "already_member"


def test_invitation_accept_makes_the_user_a_member_with_the_role(acme, admin):
    # given a user with a private account, invited as admin
    user = make_member(organization=make_organization(kind=Organization.Kind.PRIVATE))
    invitation = make_invitation(organization=acme, email=user.email, role="admin", invited_by=admin)

    # when they accept
    membership = invitation_accept(invitation=invitation, user=user)

    # then they are a member with that role, act for the organization, and the invitation is used
    assert (membership.organization, membership.role) == (acme, "admin")
    assert organization_for_user(user=user) == acme
    invitation.refresh_from_db()
    assert invitation.accepted_by == user and invitation.accepted_at is not None
    assert not invitations_pending(organization=acme).exists()


def test_an_invitation_works_once(acme):
    invitation = make_invitation(organization=acme)
    invitation_accept(invitation=invitation, user=make_user())
    with pytest.raises(Conflict) as raised:
        invitation_accept(invitation=invitation, user=make_user())
    assert raised.value.code == "invitation_used"
    assert Membership.objects.filter(organization=acme).count() == 1


def test_an_expired_invitation_is_refused(acme):
    invitation = make_invitation(organization=acme)
    clock.advance(dt.timedelta(days=15))
    with pytest.raises(DomainError) as raised:
        invitation_accept(invitation=invitation, user=make_user())
    assert raised.value.code == "invitation_expired"
    assert not Membership.objects.filter(organization=acme).exists()


def test_invitation_accept_signup_makes_a_member_without_a_private_account(acme):
    invitation = make_invitation(organization=acme, email="new@example.com", role="buyer")
    user = invitation_accept_signup(
        invitation=invitation, password="a-long-enough-passphrase", first_name="New", last_name="Colleague"
    )
    assert user.email == "new@example.com"
    assert [m.organization for m in user.memberships.all()] == [acme]
    assert Organization.objects.count() == 1


def test_invitation_accept_signup_with_a_bad_password_changes_nothing(acme):
    invitation = make_invitation(organization=acme)
    with pytest.raises(DomainError) as raised:
        invitation_accept_signup(invitation=invitation, password="short", first_name="N", last_name="C")
    assert raised.value.field == "password"
    assert not User.objects.filter(email=invitation.email).exists()
    invitation.refresh_from_db()
    assert invitation.accepted_at is None


def test_invitation_revoke_removes_a_pending_invitation(acme, admin):
    invitation = make_invitation(organization=acme)
    invitation_revoke(invitation=invitation, actor=admin)
    with pytest.raises(NotFound):
        invitation_by_token(token=invitation.token)


def test_a_buyer_cannot_revoke(acme):
    invitation = make_invitation(organization=acme)
    with pytest.raises(PermissionDenied):
        invitation_revoke(invitation=invitation, actor=make_member(organization=acme))
    assert Invitation.objects.filter(pk=invitation.pk).exists()
