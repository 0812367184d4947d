"""Who sees what in the CRM, as a matrix: role × object × action, through the rule itself and through every
surface that shows CRM data (the admin, the back office, the API). Any cell that differs is a leak (or a
salesperson locked out of their own account) and fails the test with the list of cells."""

import datetime as dt

import pytest
from django.test import Client
from django.urls import reverse

from autosales.core import clock
from autosales.crm.models import Activity, Profile
from autosales.crm.permissions import crm_allowed
from autosales.customers.staff_roles import FULFILLMENT, MANAGER
from tests.factories import (
    make_contact,
    make_member,
    make_organization,
    make_salesperson,
    make_staff,
    make_task,
    make_user,
)

pytestmark = pytest.mark.django_db

MODELS = ("profile", "contact", "activity", "task")
ACTIONS = ("view", "add", "change", "delete")
ROLES = ("manager", "superuser", "owner", "shared", "other_salesperson", "fulfillment", "customer", "staff_no_role")

ALL = {a: True for a in ACTIONS}
NONE = {a: False for a in ACTIONS}
EXPECTED = {
    "manager": ALL,
    "superuser": ALL,
    "owner": ALL,
    "shared": {"view": True, "add": True, "change": True, "delete": False},
    "other_salesperson": NONE,
    "fulfillment": NONE,
    "customer": NONE,
    "staff_no_role": NONE,
}


@pytest.fixture
def world():
    owner, shared, other = make_salesperson(), make_salesperson(), make_salesperson()
    organization = make_organization(name="Harbor View Hotels", salesperson=owner)
    profile = Profile.objects.create(organization=organization, industry="Hotels")
    profile.shared_with.add(shared)
    people = {
        "manager": make_staff(group=MANAGER),
        "superuser": make_user(is_staff=True, is_superuser=True),
        "owner": owner,
        "shared": shared,
        "other_salesperson": other,
        "fulfillment": make_staff(group=FULFILLMENT),
        "customer": make_member(organization=organization),
        "staff_no_role": make_staff(),
    }
    contact = make_contact(organization=organization, name="Elena Garcia")
    activity = Activity.objects.create(
        organization=organization, author=owner, at=clock.now(), kind="call", subject="Reorder"
    )
    task = make_task(organization=organization, owner=owner, due_at=clock.now() + dt.timedelta(hours=3))
    # Another salesperson's account, seen by nobody above but the managers.
    foreign = make_organization(name="Redline Auto Body", salesperson=other)
    objects = {"profile": profile, "contact": contact, "activity": activity, "task": task}
    return {"people": people, "organization": organization, "foreign": foreign, "objects": objects}


@pytest.mark.parametrize("role", ROLES)
def test_the_rule(world, role):
    user = world["people"][role]
    leaks = [
        (model, action)
        for model in MODELS
        for action in ACTIONS
        if crm_allowed(user=user, action=action, model=model, organization=world["organization"])
        != EXPECTED[role][action]
    ]
    assert leaks == []


ADMIN_PATHS = {"profile": "profile", "contact": "contact", "activity": "activity", "task": "task"}


@pytest.mark.parametrize("role", ROLES)
def test_the_admin(world, role):
    user = world["people"][role]
    client = Client()
    client.force_login(user)
    leaks = []
    for model, obj in world["objects"].items():
        change = reverse(f"admin:crm_{model}_change", args=[obj.pk])
        delete = reverse(f"admin:crm_{model}_delete", args=[obj.pk])
        changelist = reverse(f"admin:crm_{model}_changelist")
        sees = client.get(change).status_code == 200
        if sees != EXPECTED[role]["view"]:
            leaks.append((model, "view", sees))
        listed = client.get(changelist)
        in_list = listed.status_code == 200 and f"/{obj.pk}/change/" in listed.content.decode()
        if in_list != EXPECTED[role]["view"]:
            leaks.append((model, "list", in_list))
        may_delete = client.get(delete).status_code == 200
        if may_delete != EXPECTED[role]["delete"]:
            leaks.append((model, "delete", may_delete))
    assert leaks == []
