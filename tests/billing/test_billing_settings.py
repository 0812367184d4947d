"""A malformed reminder schedule or billing setting is refused with the field's name and the reason: in the
admin's organization form (a form error, nothing saved), at start-up (a system check) and by the dunning job,
never replaced by the default."""

import datetime as dt

import pytest
from django.core import checks
from django.core.exceptions import ImproperlyConfigured
from django.urls import reverse

from autosales.billing.dunning import reminder_days_for, reminders_send
from autosales.billing.issuing import invoice_issue_for_order
from autosales.billing.jobs import dunning
from autosales.billing.models import AccountEvent
from autosales.core import clock
from autosales.customers.models import Organization
from autosales.customers.reminder_schedule import reminder_days_parse
from tests.factories import make_account_order, make_checkout, make_organization, make_staff
from tests.suite_runs import once

BAD_SCHEDULES = {
    "7,x": "'x' is not a whole number of days",
    "0,,7": "empty entry",
    " , ": "is empty",
    "-45,0": "more than 30 days before the due date",
    "0,400": "more than 365 days after",
    "7,7": "7 is given twice",
    "1.5": "'1.5' is not a whole number",
}


@once
@pytest.mark.parametrize(("text", "reason"), BAD_SCHEDULES.items())
def test_a_bad_schedule_is_refused_with_its_reason(text, reason):
    with pytest.raises(ValueError, match=reason):
        reminder_days_parse(text)


@once
def test_a_good_schedule_is_read_sorted():
    assert reminder_days_parse(" 14, -3,0 ,7") == [-3, 0, 7, 14]


@pytest.mark.django_db
def test_the_admin_refuses_a_bad_schedule_and_saves_nothing(client):
    client.force_login(make_staff(group="manager"))
    organization = make_organization(name="Acme", reminder_days="0,7")
    url = reverse("admin:customers_organization_change", args=[organization.pk])
    data = {
        "name": "Acme renamed",
        "kind": organization.kind,
        "timezone": organization.timezone,
        "currency": organization.currency,
        "payment_terms_days": 30,
        "credit_limit": "0",
        "invoicing": organization.invoicing,
        "terms_basis": organization.terms_basis,
        "memberships-TOTAL_FORMS": 0,
        "memberships-INITIAL_FORMS": 0,
        "addresses-TOTAL_FORMS": 0,
        "addresses-INITIAL_FORMS": 0,
    }
    response = client.post(url, {**data, "reminder_days": "7,x", "credit_hold_after_days": "0"})
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert errors["reminder_days"] == ["Overdue reminders: 'x' is not a whole number of days."]
    assert "credit_hold_after_days" in errors
    organization.refresh_from_db()
    assert (organization.name, organization.reminder_days) == ("Acme", "0,7")

    assert client.post(url, {**data, "reminder_days": "-3,0,14", "credit_hold_after_days": "20"}).status_code == 302
    organization.refresh_from_db()
    assert (organization.reminder_days, organization.credit_hold_after_days) == ("-3,0,14", 20)


@once
@pytest.mark.parametrize(
    ("name", "value", "reason"),
    [
        ("BILLING_REMINDER_DAYS", "0,seven", "BILLING_REMINDER_DAYS: 'seven' is not a whole number of days"),
        ("BILLING_REMINDER_DAYS", "", "BILLING_REMINDER_DAYS: is empty"),
        ("BILLING_CREDIT_HOLD_AFTER_DAYS", "thirty", "BILLING_CREDIT_HOLD_AFTER_DAYS: 'thirty' is not a whole number"),
        ("BILLING_CREDIT_HOLD_AFTER_DAYS", "0", "BILLING_CREDIT_HOLD_AFTER_DAYS: 0 is not between 1 and 3650"),
        ("BILLING_INVOICE_PREFIX", "", "BILLING_INVOICE_PREFIX: '' is not 1 to 16 capital letters"),
        ("BILLING_INVOICE_PREFIX", "INV 2", "BILLING_INVOICE_PREFIX: 'INV 2' is not"),
        ("BILLING_CREDIT_NOTE_PREFIX", "INV", "BILLING_CREDIT_NOTE_PREFIX: is the same as BILLING_INVOICE_PREFIX"),
    ],
)
def test_a_bad_setting_stops_start_up_naming_it(settings, name, value, reason):
    assert [e for e in checks.run_checks() if e.id == "billing.E001"] == []
    setattr(settings, name, value)
    problems = [e.msg for e in checks.run_checks() if e.id == "billing.E001"]
    assert len(problems) == 1 and problems[0].startswith(reason)


@once
def test_the_settings_as_shipped_pass(settings):
    settings.BILLING_CREDIT_HOLD_AFTER_DAYS = "45"
    assert [e for e in checks.run_checks() if e.id.startswith("billing.")] == []


@pytest.mark.django_db
def test_a_bad_setting_is_never_replaced_by_the_default(settings):
    settings.BILLING_REMINDER_DAYS = "-3;0"
    organization = make_organization(reminder_days="")
    with pytest.raises(ImproperlyConfigured, match="BILLING_REMINDER_DAYS: '-3;0' is not a whole number"):
        reminder_days_for(organization)


@pytest.mark.django_db
def test_an_organization_with_a_stored_bad_schedule_gets_no_reminders_and_the_job_says_why():
    # A schedule saved before schedules were checked (written straight to the database).
    good = make_checkout(has_account_terms=True, credit_limit=10_000, billing_email="ap@good.example").organization
    bad = make_checkout(has_account_terms=True, credit_limit=10_000, billing_email="ap@bad.example").organization
    Organization.objects.filter(pk=bad.pk).update(reminder_days="0,soon", name="Late Ltd")
    with clock.frozen_at(dt.datetime(2027, 1, 4, 12, tzinfo=dt.UTC)):
        for organization in (good, bad):
            invoice_issue_for_order(order=make_account_order(organization=organization))  # due Feb 3
    with clock.frozen_at(dt.datetime(2027, 2, 3, 15, tzinfo=dt.UTC)):
        problems: list[str] = []
        assert reminders_send(today=dt.date(2027, 2, 3), problems=problems) == 1
        assert problems == ["Late Ltd: overdue reminders (reminder_days) 'soon' is not a whole number of days"]
        result = dunning()
    assert AccountEvent.objects.filter(kind="reminder", organization=bad).count() == 0
    assert AccountEvent.objects.filter(kind="reminder", organization=good).count() == 1
    assert result.failures == 1 and "Late Ltd" in result.error
