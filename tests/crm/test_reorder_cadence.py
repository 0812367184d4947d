"""The cadence learned from small fixed histories: the next date, the quantity and the confidence, and the two
baselines it has to beat where they go wrong (a skipped cycle, a top-up order, a jittered last order)."""

import datetime as dt

from autosales.crm.prediction.cadence import (
    MIN_ORDERS,
    cadence_of,
    next_by_last_interval,
    next_by_median_interval,
)

START = dt.date(2027, 1, 4)


def _history(offsets: list[int], quantity: int = 100) -> list[tuple[dt.date, int]]:
    return [(START + dt.timedelta(days=d), quantity) for d in offsets]


def test_a_clockwork_customer_is_predicted_to_the_day_with_full_confidence():
    cadence = cadence_of(_history([0, 42, 84, 126, 168]))

    assert cadence.next_on == START + dt.timedelta(days=210)
    assert cadence.every_weeks == 6 and cadence.interval_days == 42
    assert cadence.confidence == 1.0 and cadence.is_regular
    assert cadence.expected_quantity == 100 and cadence.orders == 5
    assert cadence.last_on == START + dt.timedelta(days=168)


def test_fewer_than_three_ordering_days_teach_nothing():
    assert MIN_ORDERS == 3
    assert cadence_of(_history([0, 30])) is None
    # two orders on one day are one ordering day
    assert cadence_of(_history([0, 0, 30])) is None
    assert cadence_of(_history([0, 30, 60])) is not None


def test_a_jittered_last_order_does_not_move_the_rhythm():
    # every 28 days on a fixed rhythm with a few days' jitter, the last one 4 days early: the rhythm says day 224
    history = _history([0, 31, 54, 86, 109, 141, 170, 192])
    cadence = cadence_of(history)

    assert abs((cadence.next_on - (START + dt.timedelta(days=224))).days) <= 2
    assert next_by_last_interval(history) == START + dt.timedelta(days=214)


def test_a_skipped_cycle_does_not_stretch_the_interval():
    history = _history([0, 30, 60, 90, 150, 180, 210])
    cadence = cadence_of(history)

    assert cadence.next_on == START + dt.timedelta(days=240)
    assert cadence.every_weeks == 4


def test_a_top_up_order_is_not_a_cycle_and_its_quantity_joins_the_order_before():
    history = [*_history([0, 30, 60, 90, 120]), (START + dt.timedelta(days=104), 20)]
    cadence = cadence_of(history)

    assert cadence.next_on == START + dt.timedelta(days=150)
    assert cadence.orders == 5
    assert next_by_median_interval(history) == START + dt.timedelta(days=120 + 30)
    assert next_by_last_interval(history) == START + dt.timedelta(days=120 + 16)


def test_a_slowing_customer_is_followed_where_the_median_lags():
    # intervals lengthening 20, 24, 28, 32, 36, 40: the median (30) is far behind the latest rhythm
    history = _history([0, 20, 44, 72, 104, 140, 180])
    cadence = cadence_of(history)
    median = next_by_median_interval(history)

    assert abs((cadence.next_on - (START + dt.timedelta(days=224))).days) < abs((median - START).days - 224)


def test_an_irregular_customer_has_low_confidence_and_is_not_regular():
    cadence = cadence_of(_history([0, 5, 40, 47, 110, 118, 200, 203]))

    assert cadence is not None and not cadence.is_regular


def test_expected_quantity_is_the_median_of_the_recent_orders():
    history = [(START + dt.timedelta(days=14 * i), q) for i, q in enumerate([10, 500, 40, 50, 60, 45])]

    assert cadence_of(history).expected_quantity == 48
