"""The one way automation rules act: a task per event, once, with its timeline entry and the rule's name."""

import datetime as dt

import pytest

from autosales.core import clock
from autosales.crm.automation import REORDER_DUE, rule_save, rule_settings, task_create_once
from autosales.crm.models import Activity, ActivityKind, Task
from tests.factories import make_organization, make_salesperson

pytestmark = pytest.mark.django_db


def test_a_rule_makes_one_task_per_event_with_its_timeline_entry():
    rep = make_salesperson()
    organization = make_organization(salesperson=rep)
    due = clock.now() + dt.timedelta(days=1)

    first = task_create_once(
        rule=REORDER_DUE.code, key="42:2027-01-05", organization=organization, title="Call", due_at=due
    )
    again = task_create_once(
        rule=REORDER_DUE.code, key="42:2027-01-05", organization=organization, title="Call", due_at=due
    )
    other = task_create_once(
        rule=REORDER_DUE.code, key="42:2027-02-16", organization=organization, title="Call", due_at=due
    )

    assert first is not None and again is None and other is not None
    assert first.owner == rep and first.rule == "reorder_due"
    assert Task.objects.filter(organization=organization).count() == 2
    entries = Activity.objects.filter(organization=organization, kind=ActivityKind.AUTOMATION)
    assert entries.count() == 2
    assert all(e.data["rule"] == "reorder_due" and REORDER_DUE.label in e.body for e in entries)


def test_no_owner_no_task():
    organization = make_organization(salesperson=None)
    made = task_create_once(rule=REORDER_DUE.code, key="1", organization=organization, title="Call", due_at=clock.now())
    assert made is None and not Task.objects.exists()


def test_rule_settings_default_until_saved():
    assert rule_settings()["reorder_due"].days == REORDER_DUE.default_days
    rule_save(code="reorder_due", enabled=False, days=9)
    setting = rule_settings()["reorder_due"]
    assert (setting.enabled, setting.days) == (False, 9)


def test_the_automation_job_runs_every_registered_pass(monkeypatch):
    from autosales.crm import automation
    from autosales.jobs.registry import registered_jobs

    seen = []
    monkeypatch.setattr(automation, "PASSES", [lambda *, now: seen.append(now) or 2, lambda *, now: 3])
    result = registered_jobs()["crm.automation"].func()
    assert result.items == 5 and len(seen) == 1
