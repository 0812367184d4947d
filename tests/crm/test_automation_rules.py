"""The follow-up rules: each acts once per event across a simulated year with a clock jump and re-runs, a switched
off rule makes nothing, a rule set to email queues one email from its template, and every action is on the
timeline with the rule that made it."""

import datetime as dt
from collections import Counter

import pytest

from autosales.billing.jobs import invoices_issue_due
from autosales.billing.models import Invoice
from autosales.core import clock
from autosales.core.errors import DomainError
from autosales.crm.automation import automation_run, automation_work_due, rule_save, rule_settings
from autosales.crm.models import Activity, ActivityKind, SyncCursor, Task
from autosales.crm.rules import SOURCES
from autosales.fulfillment.shipments import shipment_mark_delivered
from autosales.notifications.models import OutboxEmail
from autosales.notifications.services import outbox_email_render
from autosales.recurring.models import Run
from autosales.recurring.services import standing_order_cancel
from tests.factories import make_checkout, make_salesperson, place_test_order, ship_test_order
from tests.recurring.conftest import make_standing_order

pytestmark = pytest.mark.django_db

START = dt.datetime(2027, 3, 1, 15, tzinfo=dt.UTC)
FOLLOW_UPS = ("order_delivered", "run_failed", "invoice_overdue", "first_order", "standing_order_cancelled")


def _account(**fields):
    rep = make_salesperson(email="rep@shop.example")
    checkout = make_checkout(stock=10_000, has_account_terms=True, credit_limit=1_000_000, salesperson=rep, **fields)
    return rep, checkout


def _delivered_order(checkout, *, quantity=2):
    order = place_test_order(checkout, quantity=quantity, kind="account")
    shipment = ship_test_order(order, units=quantity)
    shipment_mark_delivered(shipment=shipment, actor=None)
    order.refresh_from_db()
    assert order.status == "delivered"
    return order


def _failed_run(standing_order):
    return Run.objects.create(
        standing_order=standing_order,
        scheduled_for=clock.today(),
        due_at=clock.now(),
        status=Run.Status.FAILED,
        last_error="The card was declined.",
        processed_at=clock.now(),
    )


def _every_day(start, days, *, runs=1, step=1):
    for day in range(0, days, step):
        clock.set_now(start + dt.timedelta(days=day))
        for _ in range(runs):
            automation_run(now=clock.now())


def _made():
    return Counter(Task.objects.exclude(rule="").values_list("rule", flat=True))


def test_each_rule_acts_once_across_a_year_with_a_clock_jump_and_re_runs():
    rep, checkout = _account()
    clock.set_now(START)
    automation_run(now=clock.now())  # the rules start here (their cursors)
    order = _delivered_order(checkout)
    invoices_issue_due()
    (invoice,) = Invoice.objects.filter(organization=checkout.organization, kind="invoice")
    standing_order = make_standing_order(checkout, start=dt.date(2027, 4, 30))
    _failed_run(standing_order)
    standing_order_cancel(standing_order=standing_order, actor=checkout.user, reason="Too many bulbs")

    # Two weeks of passes, each run twice: the delivered order's follow-up comes 3 days later, the others at once.
    _every_day(START, 14, runs=2)
    made = _made()
    assert made == {"order_delivered": 1, "first_order": 1, "run_failed": 1, "standing_order_cancelled": 1}
    follow_up = Task.objects.get(rule="order_delivered")
    assert follow_up.owner == rep and follow_up.order == order
    assert follow_up.due_at == order.events.get(kind="status_changed", data__to="delivered").at + dt.timedelta(days=3)
    assert follow_up.created_at.date() == (START + dt.timedelta(days=3)).date()
    assert Task.objects.get(rule="run_failed").priority == Task.Priority.HIGH
    assert "Too many bulbs" in Task.objects.get(rule="standing_order_cancelled").title

    # Nothing runs for four months (downtime): the invoice fell 7 days overdue meanwhile, and is acted on once.
    clock.set_now(START + dt.timedelta(days=130))
    automation_run(now=clock.now())
    automation_run(now=clock.now())
    overdue = Task.objects.get(rule="invoice_overdue")
    assert overdue.invoice == invoice and invoice.number in overdue.title
    assert overdue.due_at.date() == invoice.due_date + dt.timedelta(days=7)

    # A second order later in the year: a follow-up of its own, but it is not the customer's first order.
    second = _delivered_order(checkout, quantity=1)
    _every_day(clock.now(), 235, step=3)
    made = _made()
    assert made == {
        "order_delivered": 2,
        "first_order": 1,
        "run_failed": 1,
        "standing_order_cancelled": 1,
        "invoice_overdue": 1,
    }
    assert Task.objects.filter(rule="order_delivered", order=second).count() == 1
    # Every automatic action is on the timeline, naming its rule, once.
    entries = Activity.objects.filter(organization=checkout.organization, kind=ActivityKind.AUTOMATION)
    assert Counter(e.data["rule"] for e in entries) == made
    assert all("Made by the rule" in e.body for e in entries)
    # Each cursor has moved on: a pass reads only the last days, not the year.
    assert SyncCursor.objects.filter(source__startswith="rule:").count() == len(SOURCES)


def test_a_pass_reads_its_events_in_a_fixed_number_of_queries(django_assert_max_num_queries):
    _, checkout = _account()
    clock.set_now(START)
    automation_run(now=clock.now())
    _delivered_order(checkout)
    clock.set_now(START + dt.timedelta(days=5))
    automation_run(now=clock.now())  # acts
    for _ in range(5):  # more events already acted on, re-read in the overlap
        _delivered_order(checkout)
    clock.set_now(START + dt.timedelta(days=5, minutes=5))
    automation_run(now=clock.now())
    # Nothing new is due: one query for the settings, and per rule one for its cursor, one for its events (and
    # one for what was done when there are any), one to store the cursor.
    with django_assert_max_num_queries(1 + 4 * len(SOURCES)):
        assert automation_run(now=clock.now()) == 0


def test_switched_off_rules_make_nothing_and_do_not_catch_up_when_switched_on():
    _, checkout = _account()
    for code in FOLLOW_UPS:
        rule_save(code=code, enabled=False, days=0)
    clock.set_now(START)
    _delivered_order(checkout)
    invoices_issue_due()
    standing_order = make_standing_order(checkout, start=dt.date(2027, 4, 30))
    _failed_run(standing_order)
    standing_order_cancel(standing_order=standing_order, actor=checkout.user)

    _every_day(START, 60)
    assert not Task.objects.exclude(rule="").exists()
    assert not Activity.objects.filter(kind=ActivityKind.AUTOMATION).exists()

    rule_save(code="order_delivered", enabled=True, days=0)
    automation_run(now=clock.now())
    assert not Task.objects.exclude(rule="").exists()  # the backlog of while it was off stays untouched
    _delivered_order(checkout)
    automation_run(now=clock.now())
    assert _made() == {"order_delivered": 1}


def test_a_rule_set_to_email_queues_one_email_from_its_template():
    rep, checkout = _account()
    rule_save(
        code="order_delivered",
        enabled=True,
        days=2,
        action="email",
        email_subject="Did {order} arrive, {customer}?",
        email_body="Hello from {salesperson} at {shop}: order {order} ({order_total}).",
    )
    clock.set_now(START)
    automation_run(now=clock.now())
    order = _delivered_order(checkout)

    _every_day(START, 5, runs=2)

    (email,) = OutboxEmail.objects.filter(template="crm/message")
    assert email.to == [checkout.user.email]
    subject, text, _ = outbox_email_render(email=email)
    assert subject == f"Did {order.number_display} arrive, {checkout.organization.name}?"
    assert order.number_display in text and str(order.total_money) in text
    assert f"Hello from {rep.get_full_name() or rep.username}" in text and "rep@shop.example" in text  # signed
    (entry,) = Activity.objects.filter(kind=ActivityKind.AUTOMATION, data__rule="order_delivered")
    assert entry.data["outbox"] == email.public_id and subject in entry.subject
    assert not Task.objects.filter(rule="order_delivered").exists()
    # The first-order rule still makes its task: each rule has its own action.
    assert _made() == {"first_order": 1}


def test_a_customer_without_an_address_gets_the_owners_task_instead():
    _, checkout = _account(email="")
    checkout.user.email = ""
    checkout.user.save()
    rule_save(code="first_order", enabled=True, days=0, action="email")
    clock.set_now(START)
    automation_run(now=clock.now())
    place_test_order(checkout, quantity=1, kind="account")
    automation_run(now=clock.now() + dt.timedelta(minutes=1))

    assert _made() == {"first_order": 1} and not OutboxEmail.objects.filter(template="crm/message").exists()


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"days": -1}, "days"),
        ({"days": 400}, "days"),
        ({"action": "sms"}, "action"),
        ({"email_subject": "Hi {nobody}"}, "email_subject"),
        ({"email_body": "Invoice {invoice}"}, "email_body"),  # not a placeholder of this rule
        ({"code": "no_such_rule"}, "code"),
    ],
)
def test_bad_settings_name_the_field_and_change_nothing(fields, field):
    values = {"code": "order_delivered", "enabled": True, "days": 3, **fields}
    with pytest.raises(DomainError) as error:
        rule_save(**values)
    assert error.value.field == field
    assert rule_settings()["order_delivered"].days == 3 and not SyncCursor.objects.exists()


def test_a_rule_that_only_makes_tasks_refuses_email():
    with pytest.raises(DomainError) as error:
        rule_save(code="reorder_due", enabled=True, days=5, action="email")
    assert error.value.field == "action"


def test_the_job_tells_the_simulation_when_a_rule_will_act():
    _, checkout = _account()
    clock.set_now(START)
    automation_run(now=clock.now())
    _delivered_order(checkout)
    due = automation_work_due(clock.now())
    # The first order's welcome call the next day, the delivered order's follow-up three days later.
    assert due is not None and due.date() == (START + dt.timedelta(days=1)).date()


def test_an_overdue_invoice_emails_its_billing_contacts_once():
    _, checkout = _account(billing_email="ap@harbor.example, cfo@harbor.example")
    rule_save(code="invoice_overdue", enabled=True, days=5, action="email")
    clock.set_now(START)
    automation_run(now=clock.now())
    _delivered_order(checkout)
    invoices_issue_due()
    (invoice,) = Invoice.objects.filter(organization=checkout.organization, kind="invoice")

    clock.set_now(START + dt.timedelta(days=60))  # downtime past the day it fell 5 days overdue
    automation_run(now=clock.now())
    automation_run(now=clock.now())

    (email,) = OutboxEmail.objects.filter(template="crm/message")
    assert email.to == ["ap@harbor.example", "cfo@harbor.example"]
    subject, text, _ = outbox_email_render(email=email)
    assert subject == f"Invoice {invoice.number} is {(clock.today() - invoice.due_date).days} days overdue"
    assert str(invoice.balance) in text
    assert not Task.objects.filter(rule="invoice_overdue").exists()
