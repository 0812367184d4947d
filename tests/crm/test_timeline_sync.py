"""crm.timeline_sync: orders, standing-order changes and failed runs, and the shop's emails land on the right
timeline once, whatever the re-runs."""

import datetime as dt

import pytest

from autosales.core import clock
from autosales.crm.models import Activity, ActivityKind, SyncCursor
from autosales.crm.timeline import OVERLAP, timeline_sync
from autosales.jobs.registry import registered_jobs
from autosales.notifications.delivery import outbox_deliver_pass
from autosales.orders.services import order_cancel
from autosales.recurring.models import Run
from tests.factories import make_checkout, make_staff, place_test_order
from tests.recurring.conftest import make_standing_order

pytestmark = pytest.mark.django_db


def test_the_job_is_registered():
    assert "crm.timeline_sync" in registered_jobs()


def test_an_order_and_its_cancellation_appear_once_however_often_the_sync_runs():
    checkout = make_checkout()
    order = place_test_order(checkout, quantity=2)

    timeline_sync()
    timeline_sync()
    order_cancel(order=order, actor=make_staff(), reason="Wrong bulbs")
    timeline_sync()
    timeline_sync()

    entries = list(Activity.objects.filter(organization=checkout.organization, kind=ActivityKind.ORDER))
    subjects = sorted(e.subject for e in entries)
    assert len(entries) == 2, subjects
    assert f"Order {order.number_display}: cancelled" in subjects
    assert any(s.startswith(f"Order {order.number_display} placed for $") for s in subjects)
    assert all(e.is_system for e in entries)


def test_a_row_committed_late_inside_the_overlap_is_still_read():
    checkout = make_checkout()
    place_test_order(checkout)
    timeline_sync()
    cursor = SyncCursor.objects.get(source="order_events")
    # An order whose event row carries a moment before the cursor (its transaction committed after the read).
    with clock.frozen_at(cursor.position - OVERLAP / 2):
        late = place_test_order(checkout)

    timeline_sync()

    assert Activity.objects.filter(kind=ActivityKind.ORDER, data__order=late.public_id).count() == 1


def test_the_emails_the_shop_sent_are_on_the_customers_timeline_once():
    checkout = make_checkout()
    place_test_order(checkout)
    outbox_deliver_pass()

    timeline_sync()
    timeline_sync()

    sent = Activity.objects.filter(organization=checkout.organization, kind=ActivityKind.EMAIL_SENT)
    assert sent.count() >= 1
    assert len({a.source_key for a in sent}) == sent.count()
    assert checkout.user.email in sent.first().body


def test_standing_order_changes_and_failed_runs(db):
    clock.set_now(dt.datetime(2027, 1, 25, 12, tzinfo=dt.UTC))
    checkout = make_checkout(stock=5000)
    standing_order = make_standing_order(checkout)
    Run.objects.create(
        standing_order=standing_order,
        scheduled_for=dt.date(2027, 1, 31),
        due_at=clock.now(),
        status=Run.Status.FAILED,
        last_error="The card was declined.",
        processed_at=clock.now(),
    )

    timeline_sync()
    timeline_sync()

    entries = Activity.objects.filter(organization=checkout.organization, kind=ActivityKind.STANDING_ORDER)
    assert entries.filter(data__change="created").count() == 1
    failed = entries.get(data__failed=True)
    assert "failed" in failed.subject and failed.body == "The card was declined."


def test_a_long_history_is_read_over_several_runs_without_doubles(monkeypatch):
    from autosales.crm import timeline

    monkeypatch.setattr(timeline, "BATCH", 2)
    monkeypatch.setattr(timeline, "MAX_BATCHES", 2)
    checkout = make_checkout(stock=100)
    orders = [place_test_order(checkout) for _ in range(9)]

    added = [timeline_sync() for _ in range(8)]  # 18 status changes (placed and paid), 4 read per run

    assert 0 < added[0] < 9 and sum(added) == 9 and added[-1] == 0
    placed = Activity.objects.filter(kind=ActivityKind.ORDER, data__placed=True)
    assert sorted(placed.values_list("data__order", flat=True)) == sorted(o.public_id for o in orders)
