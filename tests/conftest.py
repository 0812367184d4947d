import pytest
from django.db import connection

from autosales.core import clock

pytest_plugins = ["tests.smtp"]


@pytest.fixture(autouse=True)
def _real_clock():
    """Every test starts on real time, whatever the one before did with the clock."""
    clock.reset()
    yield
    clock.reset()


@pytest.fixture
def on_postgres():
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: set DATABASE_URL=postgres://...")
    return True
