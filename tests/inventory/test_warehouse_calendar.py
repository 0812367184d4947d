"""Staff set a center's shipping calendar: bad values are refused naming the field, good ones are what promises use."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from autosales.inventory.delivery_dates import calendar_of
from autosales.inventory.models import Warehouse

pytestmark = pytest.mark.django_db


def _errors(**fields) -> dict:
    warehouse = Warehouse(code="T1", name="Test", **fields)
    with pytest.raises(ValidationError) as refused:
        warehouse.full_clean()
    return refused.value.message_dict


def test_an_unknown_time_zone_weekday_or_holiday_region_is_refused_naming_the_field():
    assert "time_zone" in _errors(time_zone="Mars/Olympus_Mons")
    assert "working_days" in _errors(working_days="12389")
    assert "holiday_country" in _errors(holiday_country="XX")
    assert "holiday_subdivision" in _errors(holiday_country="US", holiday_subdivision="ZZ")
    assert "holiday_subdivision" in _errors(holiday_subdivision="IL")


def test_a_valid_calendar_is_cleaned_and_read_as_the_promise_rules(settings):
    settings.TIME_ZONE = "America/Chicago"
    warehouse = Warehouse(
        code="T2", name="Test", working_days="5,4,3", holiday_country="us", holiday_subdivision="il", handling_days=1
    )
    warehouse.full_clean()
    warehouse.save()
    assert (warehouse.working_days, warehouse.holiday_country, warehouse.holiday_subdivision) == ("345", "US", "IL")
    assert warehouse.working_days_display == "Wed, Thu, Fri"

    calendar = calendar_of(warehouse, closed_days=[dt.date(2027, 3, 4)])

    assert calendar.time_zone == "America/Chicago"  # blank: the shop's zone
    assert calendar.working_days == frozenset({3, 4, 5}) and calendar.cutoff == dt.time(14, 0)
    assert not calendar.ships_on(dt.date(2027, 3, 4)) and calendar.ships_on(dt.date(2027, 3, 5))
    assert not calendar.ships_on(dt.date(2026, 11, 26))  # Thanksgiving, a Thursday
