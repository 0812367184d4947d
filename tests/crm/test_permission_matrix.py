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


def _api_calls(world):
    """(model, action, method, url, body) of the API operations that show or change each object."""
    org = world["organization"].public_id
    objects = world["objects"]
    contact, task = objects["contact"].public_id, objects["task"].public_id
    base = "/api/v1/crm"
    due = (clock.now() + dt.timedelta(days=2)).isoformat()
    return [
        ("profile", "view", "get", f"{base}/organizations/{org}", None),
        ("profile", "change", "patch", f"{base}/organizations/{org}/profile", {"industry": "Hotels & resorts"}),
        ("contact", "view", "get", f"{base}/contacts/{contact}", None),
        ("contact", "view", "get", f"{base}/organizations/{org}/contacts", None),
        ("contact", "add", "post", f"{base}/organizations/{org}/contacts", {"name": "New person"}),
        ("contact", "change", "patch", f"{base}/contacts/{contact}", {"title": "Director"}),
        ("activity", "view", "get", f"{base}/organizations/{org}/activities", None),
        ("activity", "add", "post", f"{base}/activities", {"organization": org, "kind": "note", "subject": "x"}),
        ("task", "view", "get", f"{base}/tasks/{task}", None),
        ("task", "add", "post", f"{base}/tasks", {"organization": org, "title": "Call", "due_at": due}),
        ("task", "change", "post", f"{base}/tasks/{task}/snooze", {"minutes": 15}),
        ("contact", "delete", "delete", f"{base}/contacts/{contact}", None),
    ]


@pytest.mark.parametrize("role", ROLES)
def test_the_api(world, role):
    import json

    from autosales.customers.tokens import token_create

    client = Client()
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token_create(user=world['people'][role])}"}
    leaks = []
    for model, action, method, url, body in _api_calls(world):
        if body is None:
            response = getattr(client, method)(url, **headers)
        else:
            response = getattr(client, method)(url, data=json.dumps(body), content_type="application/json", **headers)
        allowed = response.status_code < 300
        if allowed != EXPECTED[role][action]:
            leaks.append((model, action, method, url, response.status_code))
        if not allowed:
            assert response.status_code in (403, 404), (url, response.status_code, response.content)
    if role in ("other_salesperson", "fulfillment", "customer", "staff_no_role"):
        listed = client.get("/api/v1/crm/organizations", **headers)
        assert listed.status_code == 403 or world["organization"].public_id not in listed.content.decode()
    assert leaks == []


BACKOFFICE_VIEWS = [
    ("profile", "view", "backoffice:crm_profile", "organization"),
    ("profile", "change", "backoffice:crm_profile_edit", "organization"),
    ("contact", "view", "backoffice:crm_contact", "contact"),
    ("task", "view", "backoffice:crm_task", "task"),
]


@pytest.mark.parametrize("role", ROLES)
def test_the_back_office(world, role):
    client = Client()
    client.force_login(world["people"][role])
    leaks = []
    for _model, action, name, key in BACKOFFICE_VIEWS:
        obj = world["organization"] if key == "organization" else world["objects"][key]
        response = client.get(reverse(name, args=[obj.public_id]))
        if (response.status_code == 200) != EXPECTED[role][action]:
            leaks.append((name, response.status_code))
    listed = client.get(reverse("backoffice:crm_customers"), {"scope": "all"})
    shows = listed.status_code == 200 and "Harbor View Hotels" in listed.content.decode()
    if shows != EXPECTED[role]["view"]:
        leaks.append(("customers", shows))
    # Another salesperson's account is in no list but theirs and the managers'.
    assert "Redline Auto Body" not in listed.content.decode() or role in ("manager", "superuser", "other_salesperson")
    logged = client.post(
        reverse("backoffice:crm_activity_log", args=[world["organization"].public_id]),
        {"kind": "note", "subject": "from the matrix"},
    )
    if (logged.status_code == 302) != EXPECTED[role]["add"]:
        leaks.append(("log", logged.status_code))
    assert leaks == []


def test_in_the_admin_only_the_owner_or_a_manager_changes_the_sharing(world):
    profile = world["objects"]["profile"]
    url = reverse("admin:crm_profile_change", args=[profile.pk])
    for role, may_share in (("owner", True), ("manager", True), ("shared", False)):
        client = Client()
        client.force_login(world["people"][role])
        html = client.get(url).content.decode()
        assert ('name="shared_with"' in html) is may_share, role


def test_in_the_admin_a_task_cannot_go_to_someone_outside_the_account(world):
    task = world["objects"]["task"]
    client = Client()
    client.force_login(world["people"]["owner"])
    outsider = world["people"]["other_salesperson"]
    response = client.post(
        reverse("admin:crm_task_change", args=[task.pk]),
        {
            "organization": world["organization"].pk,
            "owner": outsider.pk,
            "title": task.title,
            "kind": task.kind,
            "due_at_0": "2030-01-01",
            "due_at_1": "09:00:00",
            "priority": 2,
            "status": "open",
            "reminders-TOTAL_FORMS": 0,
            "reminders-INITIAL_FORMS": 0,
        },
    )
    assert response.status_code == 200 and "does not work this account" in response.content.decode()
    task.refresh_from_db()
    assert task.owner == world["people"]["owner"]
