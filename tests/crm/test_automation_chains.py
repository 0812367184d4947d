"""Chained rules (a done task's outcome makes the next task, once per completed task) and the back office's
Automation page: managers change the rules and the steps, salespeople only see them, bad input is refused."""

import datetime as dt
import json

import pytest
from django.urls import reverse

from autosales.core import clock
from autosales.core.errors import DomainError
from autosales.crm.automation import rule_settings, task_create_once
from autosales.crm.chains import step_save
from autosales.crm.models import Activity, ActivityKind, AutomationRule, RuleStep, Task
from autosales.crm.tasks import task_complete, task_transition
from autosales.customers.staff_roles import FULFILLMENT, MANAGER
from autosales.customers.tokens import token_create
from tests.factories import make_organization, make_salesperson, make_staff

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2027, 3, 1, 15, tzinfo=dt.UTC)


@pytest.fixture
def account():
    clock.set_now(NOW)
    rep = make_salesperson()
    organization = make_organization(name="Northwind", salesperson=rep)
    return rep, organization


def _follow_up(organization, key="order:1"):
    return task_create_once(
        rule="order_delivered", key=key, organization=organization, title="Follow up", due_at=clock.now()
    )


def test_a_done_task_with_a_chained_outcome_makes_the_next_task_once(account):
    rep, organization = account
    step_save(rule="order_delivered", outcome="no_answer", title="Call {customer} again", kind="call", days=2)
    step_save(
        rule="order_delivered",
        outcome="interested_standing_order",
        title="Set up {customer}'s standing order",
        kind="todo",
        days=1,
    )
    task = _follow_up(organization)

    task_complete(task=task, actor=rep, outcome="no_answer")

    (again,) = Task.objects.filter(status="open", rule="order_delivered")
    assert again.title == "Call Northwind again" and again.owner == rep
    assert again.due_at == NOW + dt.timedelta(days=2)
    entry = Activity.objects.get(kind=ActivityKind.AUTOMATION, data__task=again.public_id)
    assert "Made by the rule" in entry.body and "No answer" in entry.body.replace("no answer", "No answer")

    # Reopened and completed again: the completed task already made its next one.
    task_transition(task=task, to="open", actor=rep)
    task_complete(task=task, actor=rep, outcome="interested_standing_order")
    assert Task.objects.filter(status="open").count() == 1

    # The chain goes on from the next task, by its own outcome.
    task_complete(task=again, actor=rep, outcome="interested_standing_order")
    (setup,) = Task.objects.filter(status="open")
    assert setup.title == "Set up Northwind's standing order" and setup.kind == "todo"
    # No step for a plain "done": the chain ends.
    task_complete(task=setup, actor=rep)
    assert not Task.objects.filter(status="open").exists()
    setup.refresh_from_db()
    assert setup.outcome == "done"


def test_a_task_made_by_a_person_chains_nothing(account):
    rep, organization = account
    step_save(rule="order_delivered", outcome="no_answer", title="Again", kind="call", days=2)
    task = Task.objects.create(organization=organization, owner=rep, title="Mine", due_at=clock.now())
    task_complete(task=task, actor=rep, outcome="no_answer")
    assert Task.objects.count() == 1


def test_a_bad_outcome_is_refused_and_changes_nothing(account):
    rep, organization = account
    task = _follow_up(organization)
    with pytest.raises(DomainError) as error:
        task_complete(task=task, actor=rep, outcome="maybe")
    assert error.value.field == "outcome"
    task.refresh_from_db()
    assert task.status == "open"


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"rule": "nope"}, "rule"),
        ({"outcome": "maybe"}, "outcome"),
        ({"kind": "fax"}, "kind"),
        ({"days": -1}, "days"),
        ({"title": "  "}, "title"),
        ({"title": "Call {invoice}"}, "title"),
        ({"outcome": "no_answer"}, "outcome"),  # that rule already has a step for it
    ],
)
def test_a_bad_step_names_the_field(fields, field):
    step_save(rule="order_delivered", outcome="no_answer", title="Again", kind="call", days=2)
    values = {"rule": "order_delivered", "outcome": "voicemail", "title": "Call", "kind": "call", "days": 1, **fields}
    with pytest.raises(DomainError) as error:
        step_save(**values)
    assert error.value.field == field
    assert RuleStep.objects.count() == 1


# --- the back office page ---


def test_salespeople_see_the_rules_and_managers_change_them(client):
    rep = make_salesperson()
    client.force_login(rep)
    page = client.get(reverse("backoffice:crm_automation"))
    assert page.status_code == 200
    text = page.content.decode()
    for label in ("Follow up on a delivered order", "Call about an overdue invoice", "Win back a lapsing"):
        assert label in text
    assert "Only managers change them" in text and 'name="order_delivered-days"' not in text
    refused = client.post(
        reverse("backoffice:crm_automation_rule", args=["order_delivered"]), {"order_delivered-days": "9"}
    )
    step = client.post(reverse("backoffice:crm_automation_step_add"), {"rule": "order_delivered"})
    assert refused.status_code == 403 and step.status_code == 403
    assert not AutomationRule.objects.exists() and not RuleStep.objects.exists()

    clerk = make_staff(group=FULFILLMENT)
    client.force_login(clerk)
    assert client.get(reverse("backoffice:crm_automation")).status_code == 403

    manager = make_staff(group=MANAGER)
    client.force_login(manager)
    assert 'name="order_delivered-days"' in client.get(reverse("backoffice:crm_automation")).content.decode()
    saved = client.post(
        reverse("backoffice:crm_automation_rule", args=["order_delivered"]),
        {
            "order_delivered-enabled": "on",
            "order_delivered-days": "5",
            "order_delivered-action": "email",
            "order_delivered-email_subject": "How was {order}?",
            "order_delivered-email_body": "Hello {customer}",
        },
    )
    assert saved.status_code == 302
    setting = rule_settings()["order_delivered"]
    assert (setting.enabled, setting.days, setting.action, setting.email_subject) == (
        True,
        5,
        "email",
        "How was {order}?",
    )
    off = client.post(reverse("backoffice:crm_automation_rule", args=["lapsing"]), {"lapsing-days": "30"})
    assert off.status_code == 302
    assert (rule_settings()["lapsing"].enabled, rule_settings()["lapsing"].days) == (False, 30)
    added = client.post(
        reverse("backoffice:crm_automation_step_add"),
        {
            "rule": "order_delivered",
            "outcome": "no_answer",
            "title": "Call {customer} again",
            "kind": "call",
            "days": "2",
        },
    )
    assert added.status_code == 302
    step = RuleStep.objects.get()
    assert "Call {customer} again" in client.get(reverse("backoffice:crm_automation")).content.decode()
    removed = client.post(reverse("backoffice:crm_automation_step_remove", args=[step.pk]))
    assert removed.status_code == 302 and not RuleStep.objects.exists()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"order_delivered-days": "-2"}, "greater than or equal to 0"),
        ({"order_delivered-days": "many"}, "whole number"),
        (
            {"order_delivered-days": "3", "order_delivered-action": "email", "order_delivered-email_subject": "{x}"},
            "Unknown placeholder {x}",
        ),
        ({"order_delivered-days": "3", "order_delivered-action": "pigeon"}, "Select a valid choice"),
    ],
)
def test_bad_rule_input_is_a_400_naming_the_field_and_changes_nothing(client, data, message):
    client.force_login(make_staff(group=MANAGER))
    response = client.post(reverse("backoffice:crm_automation_rule", args=["order_delivered"]), data)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not AutomationRule.objects.exists()


def test_a_bad_step_on_the_page_is_a_400(client):
    client.force_login(make_staff(group=MANAGER))
    response = client.post(
        reverse("backoffice:crm_automation_step_add"),
        {"rule": "order_delivered", "outcome": "no_answer", "title": "Call {nobody}", "kind": "call", "days": "2"},
    )
    assert response.status_code == 400 and "Unknown placeholder {nobody}" in response.content.decode()
    assert not RuleStep.objects.exists()
    unknown = client.post(reverse("backoffice:crm_automation_rule", args=["no_such_rule"]), {})
    assert unknown.status_code == 404


def test_the_automation_page_queries_do_not_grow(client, django_assert_max_num_queries):
    client.force_login(make_staff(group=MANAGER))
    client.get(reverse("backoffice:crm_automation"))
    for outcome in ("no_answer", "voicemail", "call_back", "ordered"):
        step_save(rule="order_delivered", outcome=outcome, title="Again", kind="call", days=1)
    with django_assert_max_num_queries(12):
        assert client.get(reverse("backoffice:crm_automation")).status_code == 200


# --- completing with an outcome from the pages and the API ---


def test_the_task_page_completes_with_an_outcome(client, account):
    rep, organization = account
    step_save(rule="order_delivered", outcome="no_answer", title="Call {customer} again", kind="call", days=2)
    task = _follow_up(organization)
    client.force_login(rep)
    page = client.get(reverse("backoffice:crm_task", args=[task.public_id])).content.decode()
    assert 'name="outcome"' in page and "Interested in a standing order" in page

    bad = client.post(reverse("backoffice:crm_task_status", args=[task.public_id, "done"]), {"outcome": "maybe"})
    assert bad.status_code == 400
    task.refresh_from_db()
    assert task.status == "open"
    done = client.post(reverse("backoffice:crm_task_status", args=[task.public_id, "done"]), {"outcome": "no_answer"})
    assert done.status_code == 302
    task.refresh_from_db()
    assert (task.status, task.outcome) == ("done", "no_answer")
    assert Task.objects.filter(status="open", title="Call Northwind again").count() == 1


def test_the_api_completes_with_an_outcome(client, account):
    rep, organization = account
    step_save(rule="order_delivered", outcome="no_answer", title="Call {customer} again", kind="call", days=2)
    task = _follow_up(organization)
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token_create(user=rep)}"}
    url = f"/api/v1/crm/tasks/{task.public_id}/complete"

    bad = client.post(url, data=json.dumps({"outcome": "maybe"}), content_type="application/json", **headers)
    assert bad.status_code in (400, 422) and "outcome" in bad.content.decode()
    task.refresh_from_db()
    assert task.status == "open"

    done = client.post(url, data=json.dumps({"outcome": "no_answer"}), content_type="application/json", **headers)
    assert done.status_code == 200
    body = done.json()
    assert (body["status"], body["outcome"], body["rule"]) == ("done", "no_answer", "order_delivered")
    assert Task.objects.filter(status="open", title="Call Northwind again").count() == 1

    # Without an outcome, as before: done.
    other = _follow_up(organization, key="order:2")
    plain = client.post(
        f"/api/v1/crm/tasks/{other.public_id}/complete", data="{}", content_type="application/json", **headers
    )
    assert plain.status_code == 200 and plain.json()["outcome"] == "done"
