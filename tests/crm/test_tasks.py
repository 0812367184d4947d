"""Tasks: create with a clear error per field, complete (a recurring one opens its next), snooze, move,
reassign within the account's salespeople, and my tasks split by the salesperson's own day."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse

from autosales.core import clock
from autosales.core.errors import Conflict, DomainError, NotFound
from autosales.crm.models import Profile, SalesSettings, Task
from autosales.crm.selectors import my_tasks
from autosales.crm.tasks import task_create, task_reassign, task_snooze, task_transition
from tests.factories import make_contact, make_organization, make_salesperson, make_task

pytestmark = pytest.mark.django_db

AUCKLAND = ZoneInfo("Pacific/Auckland")


@pytest.fixture
def account():
    sales = make_salesperson()
    return sales, make_organization(salesperson=sales)


@pytest.mark.parametrize(
    "fields, field",
    [
        ({"title": ""}, "title"),
        ({"kind": "fax"}, "kind"),
        ({"priority": 9}, "priority"),
        ({"due_at": dt.datetime(2030, 1, 1)}, "due_at"),
        ({"recurrence": "FREQ=SECONDLY"}, "recurrence"),
        ({"reminder_offsets": [-5]}, "reminder_offsets"),
        ({"reminder_offsets": "soon"}, "reminder_offsets"),
    ],
)
def test_a_bad_task_names_the_field(account, fields, field):
    sales, organization = account
    values = {"title": "Call", "due_at": clock.now() + dt.timedelta(days=1), **fields}
    with pytest.raises(DomainError) as error:
        task_create(organization=organization, actor=sales, **values)
    assert error.value.field == field
    assert not Task.objects.exists()


def test_a_task_cannot_go_to_a_salesperson_who_does_not_work_the_account(account):
    sales, organization = account
    stranger = make_salesperson()
    with pytest.raises(DomainError) as error:
        task_create(organization=organization, actor=sales, title="x", due_at=clock.now(), owner=stranger)
    assert error.value.field == "owner"
    Profile.objects.create(organization=organization).shared_with.add(stranger)
    task = task_create(organization=organization, actor=sales, title="x", due_at=clock.now())
    assert task_reassign(task=task, actor=sales, owner=stranger).owner == stranger


def test_completing_a_monthly_task_opens_the_next_at_the_same_local_time(account):
    sales, organization = account
    SalesSettings.objects.create(user=sales, timezone="Pacific/Auckland")
    contact = make_contact(organization=organization)
    due = dt.datetime(2027, 1, 31, 9, 0, tzinfo=AUCKLAND)
    task = task_create(
        organization=organization,
        actor=sales,
        title="Remind them to reorder",
        due_at=due,
        contact=contact,
        recurrence="FREQ=MONTHLY;BYMONTHDAY=28,29,30,31;BYSETPOS=-1",
    )

    task_transition(task=task, to=Task.Status.DONE, actor=sales)
    with pytest.raises(Conflict):
        task_transition(task=task, to=Task.Status.DONE, actor=sales)

    following = Task.objects.get(previous=task)
    assert following.due_at == dt.datetime(2027, 2, 28, 9, 0, tzinfo=AUCKLAND)
    assert (following.contact, following.status, following.recurrence) == (contact, "open", task.recurrence)
    task.refresh_from_db()
    assert task.status == "done" and task.completed_at is not None
    # Reopening and completing again does not open a second next task.
    task_transition(task=task, to=Task.Status.OPEN, actor=sales)
    task_transition(task=task, to=Task.Status.DONE, actor=sales)
    assert Task.objects.filter(previous=task).count() == 1


def test_snooze_moves_an_overdue_task_from_now(account):
    sales, organization = account
    clock.set_now(dt.datetime(2027, 5, 3, 12, tzinfo=dt.UTC))
    task = make_task(organization=organization, owner=sales, due_at=clock.now() - dt.timedelta(hours=5))
    assert task_snooze(task=task, actor=sales, minutes=60).due_at == clock.now() + dt.timedelta(hours=1)
    with pytest.raises(DomainError):
        task_snooze(task=task, actor=sales, minutes=0)


def test_another_salesperson_cannot_touch_the_task(account):
    sales, organization = account
    task = make_task(organization=organization, owner=sales)
    with pytest.raises(NotFound):
        task_transition(task=task, to=Task.Status.DONE, actor=make_salesperson())
    task.refresh_from_db()
    assert task.status == "open"


def test_my_tasks_split_by_the_salespersons_own_day(account):
    sales, organization = account
    SalesSettings.objects.create(user=sales, timezone="Pacific/Auckland")
    clock.set_now(dt.datetime(2027, 5, 3, 10, 0, tzinfo=AUCKLAND))
    make_task(organization=organization, owner=sales, title="Yesterday", due_at=clock.now() - dt.timedelta(days=1))
    make_task(
        organization=organization, owner=sales, title="Tonight", due_at=dt.datetime(2027, 5, 3, 23, 0, tzinfo=AUCKLAND)
    )
    make_task(
        organization=organization, owner=sales, title="Tomorrow", due_at=dt.datetime(2027, 5, 4, 0, 30, tzinfo=AUCKLAND)
    )
    make_task(organization=organization, owner=sales, title="Done", due_at=clock.now(), status="done")

    tasks = my_tasks(user=sales)

    assert [t.title for t in tasks.overdue] == ["Yesterday"]
    assert [t.title for t in tasks.today] == ["Tonight"]
    assert [t.title for t in tasks.upcoming] == ["Tomorrow"]


def test_the_my_tasks_page_completes_and_snoozes(client, account):
    sales, organization = account
    client.force_login(sales)
    task = make_task(
        organization=organization, owner=sales, title="Call Elena", due_at=clock.now() + dt.timedelta(hours=1)
    )
    other = make_task(
        organization=organization, owner=sales, title="Visit the dock", due_at=clock.now() + dt.timedelta(hours=2)
    )
    page = client.get(reverse("backoffice:crm_tasks")).content.decode()
    assert "Call Elena" in page and "Visit the dock" in page

    done = client.post(
        reverse("backoffice:crm_task_status", args=[task.public_id, "done"]), {"next": "/backoffice/crm/"}
    )
    snoozed = client.post(reverse("backoffice:crm_task_snooze", args=[other.public_id]), {"minutes": "1440"})

    assert done.status_code == 302 and done["Location"] == "/backoffice/crm/"
    assert snoozed.status_code == 302
    task.refresh_from_db()
    other.refresh_from_db()
    assert task.status == "done" and other.due_at > clock.now() + dt.timedelta(hours=25)
    bad = client.post(reverse("backoffice:crm_task_status", args=[task.public_id, "nonsense"]))
    assert bad.status_code == 302


def test_the_my_tasks_page_queries_do_not_grow(client, account):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    sales, organization = account
    client.force_login(sales)
    make_task(organization=organization, owner=sales, contact=make_contact(organization=organization))

    def count():
        with CaptureQueriesContext(connection) as queries:
            client.get(reverse("backoffice:crm_tasks"))
        return len(queries)

    few = count()
    for i in range(10):
        make_task(
            organization=organization,
            owner=sales,
            contact=make_contact(organization=organization),
            due_at=clock.now() + dt.timedelta(hours=i - 5),
        )
    assert count() == few


def test_the_task_page_moves_reassigns_and_refuses_a_bad_due_time(client, account):
    sales, organization = account
    colleague = make_salesperson(username="sam")
    Profile.objects.create(organization=organization).shared_with.add(colleague)
    task = make_task(organization=organization, owner=sales, title="Call Elena")
    client.force_login(sales)
    url = reverse("backoffice:crm_task", args=[task.public_id])
    page = client.get(url).content.decode()
    assert "Call Elena" in page and ">sam<" in page

    form = {
        "title": "Call Elena",
        "kind": "call",
        "priority": "2",
        "due_at": "2031-05-04T10:15",
        "reminder_offsets": "60",
    }
    moved = client.post(url, form)
    bad = client.post(url, {**form, "due_at": "tomorrow-ish"})
    reassigned = client.post(
        reverse("backoffice:crm_task_reassign", args=[task.public_id]), {"owner": str(colleague.pk)}
    )

    assert moved.status_code == 302 and bad.status_code == 400 and reassigned.status_code == 302
    task.refresh_from_db()
    assert task.due_at == dt.datetime(2031, 5, 4, 10, 15, tzinfo=dt.UTC) and task.reminder_offsets == [60]
    assert task.owner == colleague
