import os

import pytest
from django.db import connection

from autosales.core import clock

pytest_plugins = ["tests.smtp"]


def pytest_xdist_auto_num_workers(config):
    """`-n auto`: one worker more than the cores, since many tests wait on a subprocess, a socket or the
    database rather than on the CPU (3 workers on 2 cores run the suite in about two thirds of the time)."""
    return (os.cpu_count() or 1) + 1


@pytest.fixture(autouse=True)
def _real_clock():
    """Every test starts on real time, whatever the one before did with the clock."""
    clock.reset()
    yield
    clock.reset()


@pytest.fixture(autouse=True)
def _empty_cache():
    """Every test starts with an empty cache: its database starts empty too, so nothing cached may outlive it."""
    from django.core.cache import cache

    cache.clear()
    yield


@pytest.fixture
def on_postgres():
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: set DATABASE_URL=postgres://...")
    return True


# Data that migrations write (the staff groups and their permissions). A transactional test empties every
# table when it ends; when a worker runs ordinary tests after one, they get that data back here.
STAFF_GROUP_MIGRATIONS = [
    ("autosales.customers.migrations.0005_staff_groups", "create_staff_groups"),
    ("autosales.orders.migrations.0002_staff_permissions", "grant"),
    ("autosales.recurring.migrations.0002_staff_permissions", "grant"),
    ("autosales.notifications.migrations.0003_outbox_staff_permissions", "grant"),
    ("autosales.fulfillment.migrations.0002_staff_permissions", "grant"),
    ("autosales.billing.migrations.0002_staff_permissions", "grant"),
    ("autosales.crm.migrations.0002_staff_permissions", "grant"),
    ("autosales.crm.migrations.0003_logged_emails", "grant"),
]


@pytest.fixture(autouse=True)
def _migration_data(request):
    marked = request.node.get_closest_marker("django_db") is not None
    requested = [name for name in ("transactional_db", "db") if name in request.fixturenames]
    if not (marked or requested):
        return
    if not marked:
        request.getfixturevalue(requested[0])  # a marked test has its database already
    from importlib import import_module

    from axes.models import AccessAttempt
    from django.apps import apps
    from django.contrib.auth.models import Group

    from autosales.customers.staff_roles import STAFF_GROUPS

    # Sign-in attempts (django-axes) are rows too: none left by a test that committed them (a live server's).
    AccessAttempt.objects.all().delete()
    if Group.objects.filter(name__in=STAFF_GROUPS).count() == len(STAFF_GROUPS):
        return
    for module, function in STAFF_GROUP_MIGRATIONS:
        getattr(import_module(module), function)(apps, None)
