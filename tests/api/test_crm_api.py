"""The CRM API: profiles, contacts, activities and tasks for staff, under the one rule (a salesperson's own and
shared accounts; 404 for others; 403 for other roles), with clear field errors and fixed query counts."""

import datetime as dt
import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from autosales.core import clock
from autosales.crm.models import Activity, Contact, Profile, Tag, Task
from autosales.customers.staff_roles import FULFILLMENT
from autosales.customers.tokens import token_create
from tests.factories import make_contact, make_member, make_organization, make_salesperson, make_staff, make_task

pytestmark = pytest.mark.django_db

URL = "/api/v1/crm"


def auth(user) -> dict:
    return {"HTTP_AUTHORIZATION": f"Bearer {token_create(user=user)}"}


def send(client, method, url, body, headers):
    return getattr(client, method)(url, data=json.dumps(body), content_type="application/json", **headers)


@pytest.fixture
def sales():
    return make_salesperson(username="sally")


def test_a_phone_system_logs_a_call_on_the_right_timeline(client, sales):
    organization = make_organization(name="Harbor View Hotels", salesperson=sales)
    contact = make_contact(organization=organization, name="Elena Garcia")
    headers = auth(sales)

    response = send(
        client,
        "post",
        f"{URL}/activities",
        {
            "organization": organization.public_id,
            "contact": contact.public_id,
            "kind": "call",
            "subject": "Inbound call",
            "direction": "inbound",
            "outcome": "connected",
            "duration_minutes": 4,
        },
        headers,
    )

    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["kind"], body["contact"], body["author"], body["system"]) == (
        "call",
        contact.public_id,
        "sally",
        False,
    )
    timeline = client.get(f"{URL}/organizations/{organization.public_id}/activities", **headers).json()
    assert [a["subject"] for a in timeline["items"]] == ["Inbound call"]


def test_bad_input_names_the_field_and_changes_nothing(client, sales):
    organization = make_organization(salesperson=sales)
    headers = auth(sales)
    bad_kind = send(
        client,
        "post",
        f"{URL}/activities",
        {"organization": organization.public_id, "kind": "order", "subject": "x"},
        headers,
    )
    bad_phone = send(
        client, "post", f"{URL}/organizations/{organization.public_id}/contacts", {"name": "A", "phone": "12"}, headers
    )
    bad_task = send(
        client,
        "post",
        f"{URL}/tasks",
        {
            "organization": organization.public_id,
            "title": "Call",
            "due_at": "2030-01-01T09:00:00Z",
            "recurrence": "FREQ=HOURLY",
        },
        headers,
    )
    assert bad_kind.status_code == 400 and bad_kind.json()["errors"][0]["field"] == "kind"
    assert bad_phone.status_code == 400 and bad_phone.json()["errors"][0]["field"] == "phone"
    assert bad_task.status_code == 400 and bad_task.json()["errors"][0]["field"] == "recurrence"
    assert not Activity.objects.exists() and not Contact.objects.exists() and not Task.objects.exists()


def test_profiles_contacts_and_tasks_round_trip(client, sales):
    headers = auth(sales)
    created = send(
        client, "post", f"{URL}/organizations", {"name": "Lakeview Marina", "website": "lakeview.example"}, headers
    )
    assert created.status_code == 201 and created.json()["is_prospect"] and created.json()["salesperson"] == "sally"
    public_id = created.json()["public_id"]

    patched = send(
        client,
        "patch",
        f"{URL}/organizations/{public_id}/profile",
        {"phone": "(312) 555-0100", "tags": ["marina"]},
        headers,
    )
    assert patched.json()["phone"] == "+13125550100" and patched.json()["tags"] == ["marina"]

    contact = send(
        client,
        "post",
        f"{URL}/organizations/{public_id}/contacts",
        {"name": "Ann Lee", "roles": ["purchaser"]},
        headers,
    )
    assert contact.status_code == 201
    task = send(
        client,
        "post",
        f"{URL}/tasks",
        {
            "organization": public_id,
            "title": "Send the catalog",
            "kind": "email",
            "due_at": "2030-01-01T09:00:00-06:00",
            "contact": contact.json()["public_id"],
            "reminder_offsets": [60],
        },
        headers,
    )
    assert task.status_code == 201 and task.json()["due_at"].startswith("2030-01-01T15:00:00")
    task_id = task.json()["public_id"]
    snoozed = send(client, "post", f"{URL}/tasks/{task_id}/snooze", {"minutes": 60}, headers)
    assert snoozed.json()["due_at"].startswith("2030-01-01T16:00:00")
    done = send(client, "post", f"{URL}/tasks/{task_id}/complete", {}, headers)
    assert done.json()["status"] == "done"
    again = send(client, "post", f"{URL}/tasks/{task_id}/complete", {}, headers)
    assert again.status_code == 409
    mine = client.get(f"{URL}/tasks?status=done&mine=true", **headers).json()
    assert [t["public_id"] for t in mine["items"]] == [task_id]


def test_other_accounts_are_not_found_and_other_roles_are_refused(client, sales):
    other = make_organization(salesperson=make_salesperson())
    contact = make_contact(organization=other)
    task = make_task(organization=other)
    headers = auth(sales)
    for url in [
        f"{URL}/organizations/{other.public_id}",
        f"{URL}/organizations/{other.public_id}/contacts",
        f"{URL}/organizations/{other.public_id}/activities",
        f"{URL}/contacts/{contact.public_id}",
        f"{URL}/tasks/{task.public_id}",
    ]:
        assert client.get(url, **headers).status_code == 404, url
    assert client.get(f"{URL}/organizations", **headers).json()["count"] == 0
    for user in (make_staff(group=FULFILLMENT), make_member(organization=other)):
        response = client.get(f"{URL}/organizations", **auth(user))
        assert response.status_code == 403
        assert client.get(f"{URL}/tasks", **auth(user)).status_code == 403


def test_lists_take_a_fixed_number_of_queries(client, sales):
    headers = auth(sales)
    organization = make_organization(salesperson=sales)

    def count(url):
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url, **headers).status_code == 200
        return len(queries)

    make_task(organization=organization, owner=sales, contact=make_contact(organization=organization))
    Activity.objects.create(organization=organization, at=clock.now(), kind="note", subject="x", author=sales)
    urls = [f"{URL}/organizations", f"{URL}/tasks", f"{URL}/organizations/{organization.public_id}/activities"]
    count(urls[0])  # the token's first use is recorded once
    Profile.objects.create(organization=organization).tags.add(Tag.objects.create(name="key account"))
    before = [count(u) for u in urls]
    for i in range(8):
        extra = make_organization(salesperson=sales)
        Profile.objects.create(organization=extra).shared_with.add(make_salesperson())
        make_task(
            organization=organization,
            owner=sales,
            contact=make_contact(organization=extra and organization),
            due_at=clock.now() + dt.timedelta(hours=i),
        )
        Activity.objects.create(organization=organization, at=clock.now(), kind="call", subject=f"c{i}", author=sales)
    assert [count(u) for u in urls] == before


def test_the_crm_operations_are_in_the_openapi_document(client):
    paths = client.get("/api/v1/openapi.json").json()["paths"]
    for path in [
        "/api/v1/crm/organizations",
        "/api/v1/crm/activities",
        "/api/v1/crm/tasks",
        "/api/v1/crm/tasks/{public_id}/snooze",
    ]:
        assert path in paths


def test_a_task_can_be_linked_to_one_of_the_customers_orders_only(client, sales):
    from tests.factories import make_checkout, place_test_order

    checkout = make_checkout(organization=make_organization(salesperson=sales))
    order = place_test_order(checkout)
    foreign = place_test_order(make_checkout())
    headers = auth(sales)
    body = {
        "organization": checkout.organization.public_id,
        "title": "Ask how the delivery went",
        "due_at": "2030-01-01T09:00:00Z",
    }

    linked = send(client, "post", f"{URL}/tasks", {**body, "order": order.public_id}, headers)
    refused = send(client, "post", f"{URL}/tasks", {**body, "order": foreign.public_id}, headers)

    assert linked.status_code == 201 and linked.json()["order"] == order.public_id
    assert refused.status_code == 400 and refused.json()["errors"][0]["field"] == "order"


def test_a_task_can_be_linked_to_one_of_the_customers_invoices_only(client, sales):
    from autosales.billing.issuing import invoice_issue_for_order
    from tests.factories import make_account_order

    organization = make_organization(salesperson=sales, has_account_terms=True)
    invoice = invoice_issue_for_order(order=make_account_order(organization=organization))
    foreign = invoice_issue_for_order(order=make_account_order(organization=make_organization(has_account_terms=True)))
    headers = auth(sales)
    body = {"organization": organization.public_id, "title": "Chase the overdue invoice", "due_at": "2030-01-01T09:00Z"}

    linked = send(client, "post", f"{URL}/tasks", {**body, "invoice": invoice.number}, headers)
    refused = send(client, "post", f"{URL}/tasks", {**body, "invoice": foreign.number}, headers)

    assert linked.status_code == 201 and linked.json()["invoice"] == invoice.number
    task = Task.objects.get(public_id=linked.json()["public_id"])
    assert task.invoice == invoice
    assert refused.status_code == 400 and refused.json()["errors"][0]["field"] == "invoice"
    assert Task.objects.count() == 1
    client.force_login(sales)
    assert invoice.number in client.get(f"/backoffice/crm/tasks/{task.public_id}/").content.decode()
