import datetime as dt

import pytest

from autosales.core import clock
from autosales.core.errors import Conflict, DomainError
from autosales.orders.models import Order
from autosales.recurring.models import Change, Run, StandingOrder
from autosales.recurring.scheduler import scheduler_tick
from autosales.recurring.selectors import demand_forecast, upcoming_occurrences
from autosales.recurring.services import (
    LineIn,
    occurrence_skip,
    occurrence_unskip,
    standing_order_cancel,
    standing_order_create,
    standing_order_lines_set,
    standing_order_pause,
    standing_order_reschedule,
    standing_order_resume,
)
from tests.factories import make_address, make_checkout, make_organization, make_product
from tests.recurring.conftest import days, make_standing_order


def tick_until(until: dt.datetime):
    for moment in days(clock.now(), until):
        clock.set_now(moment)
        scheduler_tick(now=moment)


def test_next_occurrences_show_dates_and_estimated_totals(bulbs):
    standing_order = make_standing_order(bulbs)

    upcoming = upcoming_occurrences(standing_order=standing_order, count=3)

    assert [o.date for o in upcoming] == [dt.date(2027, 1, 31), dt.date(2027, 3, 31), dt.date(2027, 5, 31)]
    assert upcoming[0].estimate.subtotal.amount == 2500  # 1,000 x $2.50
    assert upcoming[0].estimate.total.amount == 2505  # + $5 shipping, no tax configured


def test_skipping_a_date_places_no_order_for_it_and_is_recorded(bulbs):
    standing_order = make_standing_order(bulbs)

    occurrence_skip(standing_order=standing_order, actor=bulbs.user, day=dt.date(2027, 1, 31))
    tick_until(dt.datetime(2027, 4, 1, 13, tzinfo=dt.UTC))

    runs = {r.scheduled_for: r.status for r in Run.objects.filter(standing_order=standing_order)}
    assert runs == {dt.date(2027, 1, 31): "skipped", dt.date(2027, 3, 31): "placed"}
    assert Order.objects.count() == 1
    change = Change.objects.get(standing_order=standing_order, kind="skipped")
    assert change.actor == bulbs.user and change.data == {"date": "2027-01-31"}
    assert upcoming_occurrences(standing_order=standing_order, count=1)[0].date == dt.date(2027, 5, 31)


def test_unskip_brings_a_date_back_and_skip_refuses_a_date_not_in_the_schedule(bulbs):
    standing_order = make_standing_order(bulbs)
    occurrence_skip(standing_order=standing_order, actor=bulbs.user, day=dt.date(2027, 1, 31))
    occurrence_unskip(standing_order=standing_order, actor=bulbs.user, day=dt.date(2027, 1, 31))
    tick_until(dt.datetime(2027, 1, 31, 13, tzinfo=dt.UTC))
    assert Order.objects.count() == 1

    with pytest.raises(DomainError) as caught:
        occurrence_skip(standing_order=standing_order, actor=bulbs.user, day=dt.date(2027, 2, 28))
    assert caught.value.field == "date"


def test_skipping_a_placed_date_is_refused(bulbs):
    standing_order = make_standing_order(bulbs)
    tick_until(dt.datetime(2027, 1, 31, 13, tzinfo=dt.UTC))
    clock.set_now(dt.datetime(2027, 1, 31, 11, tzinfo=dt.UTC))  # the same day, before (local) midnight
    with pytest.raises(Conflict):
        occurrence_skip(standing_order=standing_order, actor=bulbs.user, day=dt.date(2027, 1, 31))


def test_pause_until_a_date_skips_the_dates_before_it_then_resumes_by_itself(bulbs):
    standing_order = make_standing_order(bulbs, every=1, day=1, start=dt.date(2027, 2, 1))

    standing_order_pause(standing_order=standing_order, actor=bulbs.user, until=dt.date(2027, 3, 15))
    tick_until(dt.datetime(2027, 4, 1, 13, tzinfo=dt.UTC))

    runs = {r.scheduled_for: (r.status, r.skip_reason) for r in Run.objects.filter(standing_order=standing_order)}
    assert runs[dt.date(2027, 2, 1)] == ("skipped", "paused")
    assert runs[dt.date(2027, 3, 1)] == ("skipped", "paused")
    assert runs[dt.date(2027, 4, 1)] == ("placed", "")
    assert StandingOrder.objects.get(pk=standing_order.pk).status == StandingOrder.Status.ACTIVE


def test_pause_until_resumed_and_resume_orders_the_upcoming_dates_again(bulbs):
    standing_order = make_standing_order(bulbs, every=1, day=1, start=dt.date(2027, 2, 1))
    standing_order_pause(standing_order=standing_order, actor=bulbs.user)
    tick_until(dt.datetime(2027, 3, 27, 13, tzinfo=dt.UTC))
    assert Order.objects.count() == 0

    standing_order_resume(standing_order=standing_order, actor=bulbs.user)
    tick_until(dt.datetime(2027, 4, 1, 13, tzinfo=dt.UTC))

    statuses = {r.scheduled_for: r.status for r in Run.objects.filter(standing_order=standing_order)}
    assert statuses == {dt.date(2027, 2, 1): "skipped", dt.date(2027, 3, 1): "skipped", dt.date(2027, 4, 1): "placed"}
    assert [c.kind for c in standing_order.changes.all()] == ["created", "paused", "active"]


def test_changing_lines_applies_to_future_orders_only(bulbs):
    standing_order = make_standing_order(bulbs, every=1, day=1, start=dt.date(2027, 2, 1))
    tick_until(dt.datetime(2027, 2, 1, 13, tzinfo=dt.UTC))

    standing_order_lines_set(
        standing_order=standing_order, actor=bulbs.user, lines=[LineIn(variant_id=bulbs.variant.pk, quantity=250)]
    )
    tick_until(dt.datetime(2027, 3, 1, 13, tzinfo=dt.UTC))

    quantities = [o.lines.get().quantity for o in Order.objects.order_by("placed_at")]
    assert quantities == [1000, 250]


def test_rescheduling_changes_the_interval_of_future_orders(bulbs):
    standing_order = make_standing_order(bulbs, every=1, day=1, start=dt.date(2027, 2, 1))
    tick_until(dt.datetime(2027, 2, 1, 13, tzinfo=dt.UTC))

    standing_order_reschedule(
        standing_order=standing_order, actor=bulbs.user, rule="FREQ=WEEKLY;BYDAY=MO", start_date=dt.date(2027, 2, 2)
    )
    tick_until(dt.datetime(2027, 2, 16, 13, tzinfo=dt.UTC))

    dates = sorted(r.scheduled_for for r in Run.objects.filter(standing_order=standing_order, status="placed"))
    assert dates == [dt.date(2027, 2, 1), dt.date(2027, 2, 8), dt.date(2027, 2, 15)]


def test_cancel_stops_every_later_order(bulbs):
    standing_order = make_standing_order(bulbs, every=1, day=1, start=dt.date(2027, 2, 1))
    tick_until(dt.datetime(2027, 1, 30, 13, tzinfo=dt.UTC))  # the February run exists (notice window)

    standing_order_cancel(standing_order=standing_order, actor=bulbs.user, reason="moved supplier")
    tick_until(dt.datetime(2027, 4, 2, 13, tzinfo=dt.UTC))

    assert Order.objects.count() == 0
    assert StandingOrder.objects.get(pk=standing_order.pk).status == StandingOrder.Status.CANCELLED
    with pytest.raises(Conflict):
        standing_order_pause(standing_order=standing_order, actor=bulbs.user)


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"lines": []}, "lines"),
        ({"lines": [LineIn(variant_id=0, quantity=1)]}, "lines.0.variant"),
        ({"quantity": 0}, "lines.0.quantity"),
        ({"rule": "FREQ=SECONDLY"}, "rule"),
        ({"start_date": dt.date(2027, 1, 1)}, "start_date"),
        ({"end_date": dt.date(2026, 1, 1)}, "end_date"),
        ({"timezone": "Mars/Olympus"}, "timezone"),
        ({"payment_kind": "cash"}, "payment_kind"),
        ({"payment_kind": "card", "payment_token": ""}, "payment_token"),
        ({"payment_kind": "account"}, "payment_kind"),
        ({"notice_days": 99}, "notice_days"),
    ],
)
def test_bad_input_names_the_field_and_creates_nothing(bulbs, overrides, field):
    arguments = {
        "organization": bulbs.organization,
        "actor": bulbs.user,
        "lines": [LineIn(variant_id=bulbs.variant.pk, quantity=overrides.pop("quantity", 5))],
        "rule": "FREQ=MONTHLY;BYMONTHDAY=1",
        "start_date": dt.date(2027, 2, 1),
        "shipping_address": bulbs.address,
        "shipping_method": bulbs.shipping_method,
        "payment_kind": "card",
        "payment_token": "tok_approve",
    }
    arguments.update(overrides)
    with pytest.raises(DomainError) as caught:
        standing_order_create(**arguments)
    assert caught.value.field == field
    assert StandingOrder.objects.count() == 0


def test_another_organizations_address_is_refused(bulbs):
    with pytest.raises(DomainError) as caught:
        make_standing_order(bulbs, shipping_address=make_address(organization=make_organization()))
    assert caught.value.field == "shipping_address"


def test_forecast_sums_units_per_sku_per_week_with_skips_and_pauses_and_flags_shortages(bulbs):
    monthly = make_standing_order(bulbs, quantity=1000, every=1, day=1, start=dt.date(2027, 2, 1))
    second = make_checkout(organization=bulbs.organization, user=bulbs.user, stock=50)
    weekly = standing_order_create(
        organization=bulbs.organization,
        actor=bulbs.user,
        lines=[LineIn(variant_id=second.variant.pk, quantity=20)],
        rule="FREQ=WEEKLY;BYDAY=MO",
        start_date=dt.date(2027, 1, 25),
        shipping_address=bulbs.address,
        shipping_method=bulbs.shipping_method,
        payment_kind="card",
        payment_token="tok_approve",
    )
    occurrence_skip(standing_order=monthly, actor=bulbs.user, day=dt.date(2027, 3, 1))
    occurrence_skip(standing_order=weekly, actor=bulbs.user, day=dt.date(2027, 2, 1))

    forecast = demand_forecast(weeks=13, today=dt.date(2027, 1, 25))

    assert forecast.week_starts[0] == dt.date(2027, 1, 25)
    rows = {row.sku: row for row in forecast.rows}
    bulbs_row = rows[bulbs.variant.sku]
    assert bulbs_row.weeks[1] == 1000  # 1 February
    assert bulbs_row.weeks[5] == 0  # 1 March: skipped
    assert bulbs_row.total == 2000  # February and April; March is skipped
    assert not bulbs_row.short  # 20,000 on hand
    weekly_row = rows[second.variant.sku]
    assert weekly_row.weeks[:3] == (20, 0, 20)
    assert weekly_row.short and weekly_row.shortage_week == 3  # 50 on hand: 20 + 20 + 20 > 50 in week 3


def test_forecast_query_count_does_not_grow_with_standing_orders(bulbs, django_assert_max_num_queries):
    for _ in range(3):
        make_standing_order(bulbs, every=1, day=1, start=dt.date(2027, 2, 1))
    with django_assert_max_num_queries(8) as few:
        demand_forecast()
    for _ in range(20):
        product = make_product(stock=5)
        standing_order_create(
            organization=bulbs.organization,
            actor=bulbs.user,
            lines=[LineIn(variant_id=product.variants.get().pk, quantity=1)],
            rule="FREQ=WEEKLY;BYDAY=TU",
            start_date=dt.date(2027, 1, 26),
            shipping_address=bulbs.address,
            shipping_method=bulbs.shipping_method,
            payment_kind="card",
            payment_token="tok_approve",
        )
    with django_assert_max_num_queries(len(few.captured_queries)):
        demand_forecast()


def test_the_last_date_of_an_ending_schedule_can_be_skipped_once_its_run_is_made(bulbs):
    standing_order = make_standing_order(bulbs, every=1, day=1, start=dt.date(2027, 2, 1), end_date=dt.date(2027, 3, 1))
    tick_until(dt.datetime(2027, 2, 27, 13, tzinfo=dt.UTC))  # the 1 March run exists

    occurrence_skip(standing_order=standing_order, actor=bulbs.user, day=dt.date(2027, 3, 1))
    tick_until(dt.datetime(2027, 3, 3, 13, tzinfo=dt.UTC))

    assert Run.objects.get(standing_order=standing_order, scheduled_for=dt.date(2027, 3, 1)).status == "skipped"
    assert Order.objects.count() == 1
    assert StandingOrder.objects.get(pk=standing_order.pk).status == StandingOrder.Status.ENDED


def test_after_n_orders_a_skipped_date_does_not_count_so_n_orders_are_placed(bulbs):
    standing_order = make_standing_order(
        bulbs, rule="FREQ=WEEKLY;BYDAY=MO", start=dt.date(2027, 2, 1), max_occurrences=4
    )

    occurrence_skip(standing_order=standing_order, actor=bulbs.user, day=dt.date(2027, 2, 8))
    upcoming = upcoming_occurrences(standing_order=standing_order, count=6)
    tick_until(dt.datetime(2027, 3, 16, 13, tzinfo=dt.UTC))

    assert [o.date.isoformat() for o in upcoming] == ["2027-02-01", "2027-02-08", "2027-02-15", "2027-02-22",
                                                       "2027-03-01"]  # fmt: skip
    placed = Run.objects.filter(standing_order=standing_order, status="placed").values_list("scheduled_for", flat=True)
    assert sorted(placed) == [dt.date(2027, 2, 1), dt.date(2027, 2, 15), dt.date(2027, 2, 22), dt.date(2027, 3, 1)]
    assert Order.objects.count() == 4
    assert StandingOrder.objects.get(pk=standing_order.pk).status == StandingOrder.Status.ENDED


def test_a_skip_survives_a_schedule_change_that_keeps_its_date(bulbs):
    standing_order = make_standing_order(bulbs, every=1, day=1, start=dt.date(2027, 2, 1))
    occurrence_skip(standing_order=standing_order, actor=bulbs.user, day=dt.date(2027, 3, 1))
    occurrence_skip(standing_order=standing_order, actor=bulbs.user, day=dt.date(2027, 4, 1))

    # Only an end date is added; then the day of the month changes, which drops the dates the skips were on.
    standing_order_reschedule(
        standing_order=standing_order,
        actor=bulbs.user,
        rule=standing_order.rule,
        start_date=standing_order.start_date,
        end_date=dt.date(2027, 6, 1),
    )
    tick_until(dt.datetime(2027, 3, 2, 13, tzinfo=dt.UTC))

    statuses = {r.scheduled_for: r.status for r in Run.objects.filter(standing_order=standing_order)}
    assert statuses == {dt.date(2027, 2, 1): "placed", dt.date(2027, 3, 1): "skipped", dt.date(2027, 4, 1): "skipped"}
    assert Order.objects.count() == 1

    standing_order = standing_order_reschedule(
        standing_order=standing_order,
        actor=bulbs.user,
        rule="FREQ=MONTHLY;BYMONTHDAY=2",
        start_date=dt.date(2027, 3, 3),
    )
    assert not Run.objects.filter(standing_order=standing_order, scheduled_for=dt.date(2027, 4, 1)).exists()
    assert [o.date for o in upcoming_occurrences(standing_order=standing_order, count=2)] == [
        dt.date(2027, 4, 2),
        dt.date(2027, 5, 2),
    ]
