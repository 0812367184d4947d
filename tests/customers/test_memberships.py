import threading

import pytest
from django.db import connection

from autosales.core.errors import Conflict, DomainError, PermissionDenied
from autosales.customers.models import Membership
from autosales.customers.selectors import organization_for_user
from autosales.customers.services import membership_remove, membership_role_change, organization_member_add
from tests.factories import make_member, make_organization, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def organization():
    return make_organization()


def _membership(user, organization):
    return Membership.objects.get(user=user, organization=organization)


def test_an_admin_changes_a_members_role(organization):
    admin = make_member(organization=organization, role="admin")
    buyer = make_member(organization=organization)
    membership_role_change(membership=_membership(buyer, organization), role="admin", actor=admin)
    assert _membership(buyer, organization).role == "admin"


def test_a_buyer_cannot_change_roles(organization):
    make_member(organization=organization, role="admin")
    buyer = make_member(organization=organization)
    with pytest.raises(PermissionDenied):
        membership_role_change(membership=_membership(buyer, organization), role="admin", actor=buyer)
    assert _membership(buyer, organization).role == "buyer"


def test_the_last_admin_cannot_step_down(organization):
    admin = make_member(organization=organization, role="admin")
    with pytest.raises(Conflict) as raised:
        membership_role_change(membership=_membership(admin, organization), role="buyer", actor=admin)
    assert (raised.value.code, raised.value.field) == ("last_admin", "role")
    assert _membership(admin, organization).role == "admin"


def test_an_admin_steps_down_when_another_admin_remains(organization):
    admin = make_member(organization=organization, role="admin")
    make_member(organization=organization, role="admin")
    membership_role_change(membership=_membership(admin, organization), role="buyer", actor=admin)
    assert _membership(admin, organization).role == "buyer"


def test_an_unknown_role_is_refused_naming_the_field(organization):
    admin = make_member(organization=organization, role="admin")
    buyer = make_member(organization=organization)
    with pytest.raises(DomainError) as raised:
        membership_role_change(membership=_membership(buyer, organization), role="owner", actor=admin)
    assert raised.value.field == "role"


def test_an_admin_removes_a_member(organization):
    admin = make_member(organization=organization, role="admin")
    buyer = make_member(organization=organization)
    buyer.current_organization = organization
    buyer.save()
    membership_remove(membership=_membership(buyer, organization), actor=admin)
    assert not Membership.objects.filter(user=buyer).exists()
    buyer.refresh_from_db()
    assert buyer.current_organization is None
    assert organization_for_user(user=buyer) is None


def test_a_buyer_cannot_remove_others_but_may_leave(organization):
    make_member(organization=organization, role="admin")
    buyer = make_member(organization=organization)
    other = make_member(organization=organization)
    with pytest.raises(PermissionDenied):
        membership_remove(membership=_membership(other, organization), actor=buyer)
    membership_remove(membership=_membership(buyer, organization), actor=buyer)
    assert not Membership.objects.filter(user=buyer).exists()
    assert Membership.objects.filter(user=other).exists()


def test_the_last_admin_cannot_leave(organization):
    admin = make_member(organization=organization, role="admin")
    with pytest.raises(Conflict):
        membership_remove(membership=_membership(admin, organization), actor=admin)
    assert Membership.objects.filter(user=admin).exists()


def test_organization_member_add_is_idempotent_and_updates_the_role(organization):
    user = make_user()
    organization_member_add(organization=organization, user=user)
    organization_member_add(organization=organization, user=user, role="admin")
    assert list(Membership.objects.filter(user=user).values_list("role", flat=True)) == ["admin"]


@pytest.mark.django_db(transaction=True)
def test_two_admins_demoting_each_other_at_once_leave_one_admin():
    # given two account admins
    organization = make_organization()
    first = make_member(organization=organization, role="admin")
    second = make_member(organization=organization, role="admin")
    barrier = threading.Barrier(2)
    outcomes = []

    def demote(target, actor):
        barrier.wait()
        try:
            membership_role_change(membership=_membership(target, organization), role="buyer", actor=actor)
            outcomes.append("demoted")
        except (Conflict, PermissionDenied):  # the last admin, or no longer an admin
            outcomes.append("refused")
        finally:
            connection.close()

    # when each demotes the other at the same moment
    threads = [
        threading.Thread(target=demote, args=(first, second)),
        threading.Thread(target=demote, args=(second, first)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    # then one wins, the other is refused, and an admin remains
    assert sorted(outcomes) == ["demoted", "refused"]
    assert Membership.objects.filter(organization=organization, role="admin").count() == 1
