import datetime as dt

import pytest

from autosales.core.errors import NotFound
from autosales.jobs.registry import job, job_spec, registered_jobs


def test_the_outbox_delivery_job_is_registered_from_its_app():
    spec = registered_jobs()["outbox.deliver"]
    assert spec.every == dt.timedelta(seconds=10)
    assert spec.schedule_label == "every 10 s"


@pytest.mark.parametrize(
    "schedule",
    [{}, {"every": dt.timedelta(minutes=1), "daily_at": dt.time(6)}, {"every": dt.timedelta(0)}],
)
def test_a_job_needs_exactly_one_valid_schedule(schedule):
    with pytest.raises(ValueError, match="job 'x'"):
        job("x", **schedule)


def test_a_name_cannot_be_taken_by_another_function(make_job):
    make_job("test.taken", lambda: None, every=dt.timedelta(minutes=1))

    def other():
        return None

    with pytest.raises(ValueError, match="already registered"):
        job("test.taken", every=dt.timedelta(minutes=1))(other)


def test_an_unknown_job_is_not_found():
    with pytest.raises(NotFound) as error:
        job_spec("no.such.job")
    assert error.value.field == "name"


def test_interval_jobs_are_due_at_once_then_every_interval(make_job):
    make_job("test.every", lambda: None, every=dt.timedelta(minutes=5))
    spec = job_spec("test.every")
    now = dt.datetime(2030, 1, 1, 12, 0, tzinfo=dt.UTC)
    assert spec.first_run_at(now) == now
    assert spec.next_run_after(now) == now + dt.timedelta(minutes=5)
    assert spec.schedule_label == "every 5 min"


def test_daily_jobs_run_at_the_wall_clock_time_of_the_jobs_time_zone(make_job, settings):
    settings.JOBS_TIME_ZONE = "America/Chicago"
    make_job("test.daily", lambda: None, daily_at=dt.time(6, 30))
    spec = job_spec("test.daily")
    # 11:00 UTC is 05:00 in Chicago (winter): today's 06:30 local is 12:30 UTC
    assert spec.next_run_after(dt.datetime(2030, 1, 15, 11, 0, tzinfo=dt.UTC)) == dt.datetime(
        2030, 1, 15, 12, 30, tzinfo=dt.UTC
    )
    # just after the slot: tomorrow's; in summer time the UTC hour moves with the clocks
    assert spec.next_run_after(dt.datetime(2030, 7, 15, 11, 31, tzinfo=dt.UTC)) == dt.datetime(
        2030, 7, 16, 11, 30, tzinfo=dt.UTC
    )
    assert spec.schedule_label == "daily at 06:30 (America/Chicago)"
