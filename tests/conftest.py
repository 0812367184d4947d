import os

import pytest
from django.db import connection
from django.db.models.signals import post_migrate
from django.test import TransactionTestCase
from hypothesis import settings as hypothesis_settings

from autosales.core import clock

pytest_plugins = ["tests.smtp"]

# Properties are about correctness, not speed: no per-example deadline (a busy machine's first example, which
# imports and loads time zones, once took 264 ms against Hypothesis' default 200 ms).
hypothesis_settings.register_profile("autosales", deadline=None)
hypothesis_settings.load_profile("autosales")


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
def _shop_language():
    """Every test starts in the shop's language: a page served in another (LocaleMiddleware activates the
    visitor's) leaves it active in this thread, as a server's next request would not see."""
    from django.utils import translation

    translation.deactivate()
    yield
    translation.deactivate()


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


# Data that migrations write: the staff groups and their permissions. A transactional test empties every table
# when it ends; the flush then makes the content types and permissions again (post_migrate), not the groups. They
# are put back right there, committed, as the migrations left them when the worker began, so the tests after it
# find them without each one making them again inside its own (rolled back) transaction.
_staff_groups: dict[str, dict[str, list[str]]] = {}


def _staff_groups_restore() -> None:
    from django.contrib.auth.models import Group, Permission

    for name, granted in _staff_groups.items():
        group, _ = Group.objects.get_or_create(name=name)
        for app_label, codenames in granted.items():
            group.permissions.add(*Permission.objects.filter(content_type__app_label=app_label, codename__in=codenames))


def _after_flush(sender, **kwargs) -> None:
    from django.apps import apps

    # post_migrate comes once per app, each app's permissions with it: the last app's comes after all of them.
    if _staff_groups and sender is list(apps.get_app_configs())[-1]:
        _staff_groups_restore()


post_migrate.connect(_after_flush, dispatch_uid="tests-staff-groups-after-flush")


# A transactional test (a live server, worker processes, concurrent connections) commits, so its tables are emptied
# after it. Django's flush TRUNCATEs every table and then remakes content types and permissions: on PostgreSQL that
# is 0.5-7 s a test, since TRUNCATE makes new files for each of ~130 tables and waits for every lock on them. A
# DELETE of each table in one transaction, foreign keys checked at its end (Django's are deferrable), takes a few
# milliseconds on the few rows a test leaves; the tables the migrations filled (content types, permissions, the
# staff groups) are left as they are, so nothing has to be made again.
_KEPT_TABLES = {
    "django_migrations",
    "django_content_type",
    "auth_permission",
    "auth_group",
    "auth_group_permissions",
}


def _tables_emptied(self) -> None:
    from django.db import connections, transaction

    for db_name in self._databases_names(include_mirrors=False):
        connection = connections[db_name]
        if connection.vendor != "postgresql":
            _django_fixture_teardown(self)
            return
        tables = [t for t in connection.introspection.django_table_names(only_existing=True) if t not in _KEPT_TABLES]
        with transaction.atomic(using=db_name), connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")
            cursor.execute(";".join(f"DELETE FROM {connection.ops.quote_name(t)}" for t in tables))


_django_fixture_teardown = TransactionTestCase._fixture_teardown
TransactionTestCase._fixture_teardown = _tables_emptied


@pytest.fixture(autouse=True)
def _migration_data(request):
    marked = request.node.get_closest_marker("django_db") is not None
    requested = [name for name in ("transactional_db", "db") if name in request.fixturenames]
    if not (marked or requested):
        return
    if not marked:
        request.getfixturevalue(requested[0])  # a marked test has its database already
    from axes.models import AccessAttempt
    from django.contrib.auth.models import Group

    from autosales.customers.staff_roles import STAFF_GROUPS

    # Sign-in attempts (django-axes) are rows too: none left by a test that committed them (a live server's).
    AccessAttempt.objects.all().delete()
    groups = Group.objects.filter(name__in=STAFF_GROUPS)
    if not _staff_groups:  # the worker's first test: the database is as the migrations made it
        for group in groups.prefetch_related("permissions__content_type"):
            granted = _staff_groups.setdefault(group.name, {})
            for permission in group.permissions.all():
                granted.setdefault(permission.content_type.app_label, []).append(permission.codename)
    elif groups.count() != len(_staff_groups):
        _staff_groups_restore()
