"""Back-office CRM pages: the customer list, a profile with one timeline (fixed queries with 5,000 entries), the
log-an-activity form with its follow-up task, and the scope rule on every page."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from autosales.core import clock
from autosales.crm.models import Activity, ActivityKind, Profile, Tag, Task
from autosales.customers.staff_roles import FULFILLMENT, MANAGER
from tests.factories import make_contact, make_organization, make_salesperson, make_staff, make_task

pytestmark = pytest.mark.django_db


@pytest.fixture
def sales(client):
    user = make_salesperson(first_name="Sally", last_name="Sales")
    client.force_login(user)
    return user


def _timeline(organization, count, *, author=None):
    now = clock.now()
    kinds = [ActivityKind.CALL, ActivityKind.NOTE, ActivityKind.ORDER, ActivityKind.EMAIL_SENT]
    Activity.objects.bulk_create(
        Activity(
            organization=organization,
            author=author,
            at=now - dt.timedelta(minutes=i),
            kind=kinds[i % 4],
            subject=f"Entry {i}",
            source_key=f"test:{organization.pk}:{i}" if kinds[i % 4] in ("order", "email_sent") else "",
        )
        for i in range(count)
    )


def test_the_customer_list_shows_mine_and_searches(client, sales):
    mine = make_organization(name="Harbor View Hotels", salesperson=sales)
    make_organization(name="Summit Schools", salesperson=make_salesperson())
    make_contact(organization=mine, name="Elena Garcia")

    page = client.get(reverse("backoffice:crm_customers")).content.decode()
    found = client.get(reverse("backoffice:crm_customers"), {"q": "elena"}).content.decode()

    assert "Harbor View Hotels" in page and "Summit Schools" not in page
    assert "prospect" in page and "never" in page
    assert "Harbor View Hotels" in found


def test_the_customer_list_queries_do_not_grow_with_rows(client, sales):
    def count():
        with CaptureQueriesContext(connection) as queries:
            assert client.get(reverse("backoffice:crm_customers"), {"scope": "mine"}).status_code == 200
        return len(queries)

    first = make_organization(salesperson=sales)
    Profile.objects.create(organization=first).tags.add(Tag.objects.create(name="t"))
    few = count()
    for _ in range(15):
        organization = make_organization(salesperson=sales)
        make_task(organization=organization, owner=sales)
        Activity.objects.create(organization=organization, at=clock.now(), kind="call", subject="x")
        Profile.objects.create(organization=organization).tags.add(Tag.objects.get_or_create(name="t")[0])
    assert count() == few


def test_a_profile_with_5000_entries_is_a_fixed_number_of_queries_newest_first(client, sales):
    organization = make_organization(salesperson=sales)
    make_contact(organization=organization)
    _timeline(organization, 10, author=sales)
    url = reverse("backoffice:crm_profile", args=[organization.public_id])
    with CaptureQueriesContext(connection) as small:
        assert client.get(url).status_code == 200
    Activity.objects.all().delete()
    _timeline(organization, 5000, author=sales)

    with CaptureQueriesContext(connection) as large:
        response = client.get(url)
    last_page = client.get(url, {"page": 100}).content.decode()
    calls = client.get(url, {"kind": "call"}).content.decode()

    assert len(large) == len(small) <= 12, [q["sql"][:120] for q in large.captured_queries]
    html = response.content.decode()
    assert html.index("Entry 0<") < html.index("Entry 1<") < html.index("Entry 49<")
    assert "Entry 50<" not in html and "Page 1 of 100" in html
    assert "Entry 4999<" in last_page
    assert "Entry 0<" in calls and "Entry 1<" not in calls


def test_logging_a_call_with_a_follow_up_task_in_one_form(client, sales):
    organization = make_organization(salesperson=sales)
    contact = make_contact(organization=organization, name="Elena Garcia")

    response = client.post(
        reverse("backoffice:crm_activity_log", args=[organization.public_id]),
        {
            "kind": "call",
            "contact": contact.public_id,
            "subject": "Spring reorder",
            "direction": "outbound",
            "outcome": "connected",
            "duration_minutes": "6",
            "body": "Wants a quote for 2,000 A19s.",
            "follow_up": "on",
            "follow_up_title": "Send the quote",
            "follow_up_kind": "email",
            "follow_up_due": "2031-03-02T09:30",
        },
    )

    assert response.status_code == 302
    call = Activity.objects.get(kind="call")
    assert (call.contact, call.outcome, call.duration_minutes, call.author) == (contact, "connected", 6, sales)
    task = Task.objects.get()
    assert (task.title, task.kind, task.owner, task.activity, task.contact) == (
        "Send the quote",
        "email",
        sales,
        call,
        contact,
    )
    assert task.due_at == dt.datetime(2031, 3, 2, 9, 30, tzinfo=dt.UTC)  # the shop's zone is UTC in tests
    page = client.get(response["Location"]).content.decode()
    assert "Spring reorder" in page and "Send the quote" in page


def test_a_follow_up_without_a_due_date_saves_neither(client, sales):
    organization = make_organization(salesperson=sales)
    response = client.post(
        reverse("backoffice:crm_activity_log", args=[organization.public_id]),
        {"kind": "note", "subject": "Met at the trade show", "follow_up": "on", "follow_up_title": "Call back"},
    )
    assert response.status_code == 400
    assert "When is the follow-up due?" in response.content.decode()
    assert not Activity.objects.exists() and not Task.objects.exists()


def test_a_bad_outcome_names_the_field(client, sales):
    organization = make_organization(salesperson=sales)
    response = client.post(
        reverse("backoffice:crm_activity_log", args=[organization.public_id]),
        {"kind": "call", "subject": "x", "duration_minutes": "-3"},
    )
    assert response.status_code == 400 and not Activity.objects.exists()


def test_another_salespersons_customer_is_not_found(client, sales):
    other = make_organization(salesperson=make_salesperson())
    contact = make_contact(organization=other)
    task = make_task(organization=other)
    for url in [
        reverse("backoffice:crm_profile", args=[other.public_id]),
        reverse("backoffice:crm_contact", args=[contact.public_id]),
        reverse("backoffice:crm_task", args=[task.public_id]),
        reverse("backoffice:crm_profile_edit", args=[other.public_id]),
    ]:
        assert client.get(url).status_code == 404, url
    response = client.post(
        reverse("backoffice:crm_activity_log", args=[other.public_id]), {"kind": "note", "subject": "x"}
    )
    assert response.status_code == 404 and not Activity.objects.exists()
    assert client.post(reverse("backoffice:crm_task_status", args=[task.public_id, "done"])).status_code == 404
    task.refresh_from_db()
    assert task.status == "open"


def test_fulfillment_sees_no_crm_page(client):
    client.force_login(make_staff(group=FULFILLMENT))
    organization = make_organization()
    assert client.get(reverse("backoffice:crm_customers")).status_code == 403
    assert client.get(reverse("backoffice:crm_tasks")).status_code == 403
    assert client.get(reverse("backoffice:crm_profile", args=[organization.public_id])).status_code == 403


def test_a_manager_sees_every_customer_and_the_team(client):
    client.force_login(make_staff(group=MANAGER))
    someone = make_salesperson(username="sam")
    organization = make_organization(name="Redline Auto Body", salesperson=someone)
    make_task(organization=organization, owner=someone, title="Chase the credit hold")

    assert "Redline Auto Body" in client.get(reverse("backoffice:crm_customers"), {"scope": "all"}).content.decode()
    team = client.get(reverse("backoffice:crm_team_tasks")).content.decode()
    assert "Chase the credit hold" in team and "sam" in team


def test_the_profile_edit_and_a_new_contact(client, sales):
    organization = make_organization(salesperson=sales)
    bad = client.post(reverse("backoffice:crm_profile_edit", args=[organization.public_id]), {"phone": "12"})
    assert bad.status_code == 400 and "not a valid phone number" in bad.content.decode()
    ok = client.post(
        reverse("backoffice:crm_profile_edit", args=[organization.public_id]),
        {"phone": "(312) 555-0100", "tags": "key account, LED", "industry": "Hotels"},
    )
    assert ok.status_code == 302
    added = client.post(
        reverse("backoffice:crm_contact_new", args=[organization.public_id]),
        {"name": "Kevin Ortiz", "roles": ["receiving"], "phone": "312 555 0199"},
    )
    assert added.status_code == 302
    page = client.get(reverse("backoffice:crm_profile", args=[organization.public_id])).content.decode()
    assert "+1 312-555-0100" in page and "Kevin Ortiz" in page and "Receiving" in page and "key account" in page


def test_the_owner_shares_the_account_and_a_colleague_then_works_it(client, sales):
    colleague = make_salesperson(first_name="Sam", last_name="Colleague")
    organization = make_organization(name="Harbor View Hotels", salesperson=sales)
    contact = make_contact(organization=organization, name="Elena Garcia")
    url = reverse("backoffice:crm_profile_edit", args=[organization.public_id])
    assert "Sam Colleague" in client.get(url).content.decode()

    assert client.post(url, {"shared_with": [str(colleague.pk)], "industry": "Hotels"}).status_code == 302

    client.force_login(colleague)
    assert client.get(reverse("backoffice:crm_profile", args=[organization.public_id])).status_code == 200
    edit = client.get(url).content.decode()
    assert 'name="shared_with"' not in edit  # only the owner or a manager decides the sharing
    contact_page = client.get(reverse("backoffice:crm_contact", args=[contact.public_id])).content.decode()
    assert "Remove Elena Garcia" not in contact_page
    assert client.post(reverse("backoffice:crm_contact_remove", args=[contact.public_id])).status_code == 403
    client.force_login(sales)
    assert client.post(reverse("backoffice:crm_contact_remove", args=[contact.public_id])).status_code == 302
    assert not organization.crm_contacts.exists()


def test_the_timeline_shows_the_shops_own_entries_with_a_link_to_the_order(client, sales):
    from autosales.crm.timeline import timeline_sync
    from tests.factories import make_checkout, place_test_order

    checkout = make_checkout(organization=make_organization(salesperson=sales))
    order = place_test_order(checkout)
    timeline_sync()

    page = client.get(reverse("backoffice:crm_profile", args=[checkout.organization.public_id])).content.decode()

    assert f"Order {order.number_display} placed for" in page
    assert reverse("backoffice:order_detail", args=[order.public_id]) in page
