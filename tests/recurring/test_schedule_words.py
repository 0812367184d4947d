"""Schedules in words for people, and reading a rule back into the simple form the pages offer."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from autosales.recurring.schedule import RuleParts, rule_describe, rule_for, rule_parts


@pytest.mark.parametrize(
    ("rule", "words"),
    [
        (
            "FREQ=MONTHLY;INTERVAL=2;BYMONTHDAY=28,29,30,31;BYSETPOS=-1",
            "Every 2 months on the 31st (the last day in shorter months)",
        ),
        ("FREQ=MONTHLY;INTERVAL=1;BYMONTHDAY=1", "Every month on the 1st"),
        ("FREQ=MONTHLY;INTERVAL=3;BYMONTHDAY=22", "Every 3 months on the 22nd"),
        ("FREQ=MONTHLY;INTERVAL=1;BYMONTHDAY=13", "Every month on the 13th"),
        ("FREQ=WEEKLY;INTERVAL=1;BYDAY=MO", "Every week on Monday"),
        ("FREQ=WEEKLY;BYDAY=FR", "Every week on Friday"),
        ("RRULE:FREQ=WEEKLY;INTERVAL=2;BYDAY=SU", "Every 2 weeks on Sunday"),
        ("FREQ=DAILY", "Every day"),
        ("FREQ=YEARLY;INTERVAL=2", "Every 2 years"),
        ("FREQ=MONTHLY;BYDAY=1MO", "Custom: FREQ=MONTHLY;BYDAY=1MO"),
    ],
)
def test_rules_in_words(rule, words):
    assert rule_describe(rule) == words


def test_a_rule_that_is_not_a_simple_one_has_no_simple_form():
    assert rule_parts("FREQ=MONTHLY;BYDAY=1MO") is None
    assert rule_parts("FREQ=WEEKLY;INTERVAL=2;BYDAY=MO,TH") is None
    assert rule_parts("FREQ=MONTHLY;INTERVAL=1;BYMONTHDAY=29;BYSETPOS=-1") is None
    assert rule_parts("not a rule") is None


@given(
    every=st.integers(1, 52),
    unit=st.sampled_from(["week", "month"]),
    weekday=st.integers(0, 6),
    day=st.integers(1, 31),
)
def test_every_rule_the_pages_build_reads_back_into_the_same_form(every, unit, weekday, day):
    rule = rule_for(every=every, unit=unit, weekday=weekday, day_of_month=day)
    expected = RuleParts(
        every=every,
        unit=unit,
        weekday=weekday if unit == "week" else None,
        day_of_month=day if unit == "month" else None,
    )
    assert rule_parts(rule) == expected
