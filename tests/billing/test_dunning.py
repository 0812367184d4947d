"""Overdue reminders and the automatic credit hold across a simulated year: each reminder once (the job runs twice
a day), stopped when paid, the latest one only after a jump of the clock; the hold put on after N days overdue and
lifted when paid, each once, written to the history, emailed, and told to the salesperson; a held account cannot
order on account and its standing orders go to dunning."""

import datetime as dt
from collections import Counter

import pytest

from autosales.billing.dunning import credit_holds_review, reminders_send
from autosales.billing.issuing import invoice_issue_for_order
from autosales.billing.models import AccountEvent
from autosales.billing.payments_received import payment_record
from autosales.core import clock
from autosales.core.errors import DomainError
from autosales.customers.models import Organization
from autosales.notifications.models import Notification, OutboxEmail
from tests.factories import make_account_order, make_checkout, make_staff, place_test_order

pytestmark = pytest.mark.django_db


def _run(day: dt.date, times=2):
    with clock.frozen_at(dt.datetime.combine(day, dt.time(9), tzinfo=dt.UTC)):
        for _ in range(times):
            reminders_send(today=day)
            credit_holds_review(today=day)


def _days(start: dt.date, end: dt.date):
    while start <= end:
        yield start
        start += dt.timedelta(days=1)


def _account(**fields):
    fields.setdefault("billing_email", "ap@late.example")
    return make_checkout(has_account_terms=True, credit_limit=100_000, salesperson=make_staff(), **fields)


def test_a_year_of_reminders_and_a_hold_each_once(settings):
    settings.BILLING_CREDIT_HOLD_AFTER_DAYS = 30
    checkout = _account(reminder_days="-3,0,7,14")
    organization = checkout.organization
    with clock.frozen_at(dt.datetime(2027, 1, 4, 12, tzinfo=dt.UTC)):
        invoice = invoice_issue_for_order(order=make_account_order(organization=organization))  # due Feb 3
    for day in _days(dt.date(2027, 1, 1), dt.date(2027, 3, 9)):
        _run(day)
    # Reminders on Jan 31, Feb 3, Feb 10, Feb 17; the hold on Mar 5 (30 days overdue).
    reminders = AccountEvent.objects.filter(kind="reminder").order_by("at")
    assert [e.at.date() for e in reminders] == [
        dt.date(2027, 1, 31),
        dt.date(2027, 2, 3),
        dt.date(2027, 2, 10),
        dt.date(2027, 2, 17),
    ]
    organization.refresh_from_db()
    assert organization.credit_hold
    hold = AccountEvent.objects.get(kind="credit_hold")
    assert hold.at.date() == dt.date(2027, 3, 5)

    # A held account cannot charge an order to its account.
    with clock.frozen_at(dt.datetime(2027, 3, 9, 12, tzinfo=dt.UTC)), pytest.raises(DomainError) as refused:
        place_test_order(checkout, quantity=1, kind="account")
    assert refused.value.code == "account_credit_hold"

    # Paid on March 10: the hold is lifted at once, and nothing more is sent for the rest of the year.
    with clock.frozen_at(dt.datetime(2027, 3, 10, 15, tzinfo=dt.UTC)):
        payment_record(
            organization=organization, method="bank_transfer", amount=invoice.total, received_on=dt.date(2027, 3, 10)
        )
    organization.refresh_from_db()
    assert not organization.credit_hold
    for day in _days(dt.date(2027, 3, 10), dt.date(2027, 12, 31)):
        _run(day, times=1)

    kinds = Counter(AccountEvent.objects.values_list("kind", flat=True))
    assert kinds == {"reminder": 4, "credit_hold": 1, "credit_released": 1}
    templates = Counter(OutboxEmail.objects.filter(template__startswith="billing/").values_list("template", flat=True))
    assert templates == {
        "billing/document": 1,
        "billing/reminder": 4,
        "billing/credit_hold": 1,
        "billing/credit_released": 1,
    }
    assert Notification.objects.filter(user=organization.salesperson).count() == 6
    titles = list(Notification.objects.values_list("title", flat=True))
    assert any("on credit hold" in t for t in titles) and any("14 days overdue" in t for t in titles)


def test_after_a_jump_of_the_clock_only_the_latest_reminder_goes_out():
    organization = _account(reminder_days="-3,0,7,14").organization
    with clock.frozen_at(dt.datetime(2027, 1, 4, 12, tzinfo=dt.UTC)):
        invoice_issue_for_order(order=make_account_order(organization=organization))  # due Feb 3
    _run(dt.date(2027, 1, 2))
    _run(dt.date(2027, 2, 12))  # the system was down from Jan 2 to Feb 12
    _run(dt.date(2027, 2, 13))
    assert list(AccountEvent.objects.filter(kind="reminder").values_list("key", flat=True)) == [
        f"reminder:{organization.invoices.get().public_id}:7"
    ]


def test_a_before_due_reminder_is_never_sent_once_the_invoice_is_due():
    organization = _account(reminder_days="-3,7").organization
    with clock.frozen_at(dt.datetime(2027, 1, 4, 12, tzinfo=dt.UTC)):
        invoice = invoice_issue_for_order(order=make_account_order(organization=organization))  # due Feb 3
    _run(dt.date(2027, 1, 30))  # down from Jan 30: the -3 step (Jan 31) is missed
    _run(dt.date(2027, 2, 4))  # back the day after the due date: nothing (the -3 step is over, 7 not yet)
    assert not AccountEvent.objects.filter(kind="reminder").exists()
    _run(dt.date(2027, 2, 10))
    assert list(AccountEvent.objects.filter(kind="reminder").values_list("key", flat=True)) == [
        f"reminder:{invoice.public_id}:7"
    ]
    assert OutboxEmail.objects.get(template="billing/reminder").context["late"] == 7


def test_a_paid_invoice_gets_no_more_reminders_and_a_manual_hold_stays():
    organization = _account(reminder_days="0,7").organization
    with clock.frozen_at(dt.datetime(2027, 1, 4, 12, tzinfo=dt.UTC)):
        invoice = invoice_issue_for_order(order=make_account_order(organization=organization))
    _run(dt.date(2027, 2, 3))
    Organization.objects.filter(pk=organization.pk).update(credit_hold=True)  # set by staff
    with clock.frozen_at(dt.datetime(2027, 2, 5, 12, tzinfo=dt.UTC)):
        payment_record(
            organization=organization, method="cheque", amount=invoice.total, received_on=dt.date(2027, 2, 5)
        )
    _run(dt.date(2027, 2, 10))
    assert AccountEvent.objects.filter(kind="reminder").count() == 1
    organization.refresh_from_db()
    assert organization.credit_hold  # billing lifts only the holds it put on


def test_per_organization_hold_after_days(settings):
    settings.BILLING_CREDIT_HOLD_AFTER_DAYS = 60
    organization = _account(credit_hold_after_days=5, reminder_days="").organization
    with clock.frozen_at(dt.datetime(2027, 1, 4, 12, tzinfo=dt.UTC)):
        invoice_issue_for_order(order=make_account_order(organization=organization))  # due Feb 3
    _run(dt.date(2027, 2, 7))
    assert not Organization.objects.get(pk=organization.pk).credit_hold
    _run(dt.date(2027, 2, 8))
    assert Organization.objects.get(pk=organization.pk).credit_hold


def test_a_held_accounts_standing_order_goes_to_dunning(settings):
    from autosales.recurring.models import Run
    from autosales.recurring.scheduler import scheduler_tick
    from tests.recurring.conftest import make_standing_order

    settings.BILLING_CREDIT_HOLD_AFTER_DAYS = 10
    checkout = _account()
    clock.set_now(dt.datetime(2027, 1, 4, 12, tzinfo=dt.UTC))
    try:
        invoice_issue_for_order(order=make_account_order(organization=checkout.organization))  # due Feb 3
        standing_order = make_standing_order(
            checkout, every=1, day=20, start=dt.date(2027, 2, 20), kind="account", quantity=2
        )
        _run(dt.date(2027, 2, 13))  # 10 days overdue: held
        for day in _days(dt.date(2027, 2, 14), dt.date(2027, 2, 22)):
            clock.set_now(dt.datetime.combine(day, dt.time(18), tzinfo=dt.UTC))
            scheduler_tick(now=clock.now())
        run = Run.objects.get(standing_order=standing_order)
    finally:
        clock.reset()
    assert run.failure_code == "account_credit_hold"
    assert run.status == Run.Status.RETRYING and run.failures >= 1
