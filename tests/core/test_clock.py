import datetime as dt

from autosales.core import clock


def test_frozen_clock_moves_only_when_advanced():
    moment = dt.datetime(2027, 1, 31, 23, 30, tzinfo=dt.UTC)
    with clock.frozen_at(moment):
        assert clock.now() == moment
        clock.advance(dt.timedelta(hours=1))
        assert clock.now() == moment + dt.timedelta(hours=1)
        assert clock.today("America/Chicago") == dt.date(2027, 1, 31)
        assert clock.today() == dt.date(2027, 2, 1)
