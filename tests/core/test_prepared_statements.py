"""DB_PREPARED_STATEMENTS: on PostgreSQL a query run again on the same connection is planned once, not each time."""

import os
import subprocess
import sys

import pytest
from django.db import connection

from autosales.cart.session import _user_shopper_sql
from tests.factories import make_member, make_organization

POSTGRES = os.environ.get("DATABASE_URL", "").startswith("postgres")


def _settings(**env) -> subprocess.CompletedProcess:
    environment = {
        key: value for key, value in os.environ.items() if key not in ("DB_PREPARED_STATEMENTS", "DB_POOL_SIZE")
    }
    environment.update({"SECRET_KEY": "x" * 50, "DJANGO_SETTINGS_MODULE": "autosales.settings", **env})
    code = "import autosales.settings as s; o = s.DATABASES['default'].get('OPTIONS', {}); print(o.get('server_side_binding'), o.get('prepare_threshold'))"
    return subprocess.run([sys.executable, "-c", code], env=environment, capture_output=True, text=True, timeout=60)


def test_on_postgresql_parameters_are_bound_by_the_server_and_queries_prepared_on_their_second_run():
    result = _settings(DATABASE_URL="postgres://shop@127.0.0.1:5432/shop")

    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["True", "2"]


@pytest.mark.parametrize("env", [{"DB_POOL_SIZE": "4"}, {}])
def test_they_can_be_turned_off_for_a_pooler_that_cannot_keep_them(env):
    result = _settings(DATABASE_URL="postgres://shop@127.0.0.1:5432/shop", DB_PREPARED_STATEMENTS="0", **env)

    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["None", "None"]


def test_sqlite_has_nothing_to_prepare():
    result = _settings(DATABASE_URL="")

    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["None", "None"]


def test_a_value_that_is_not_a_boolean_stops_the_start_naming_the_variable():
    result = _settings(DATABASE_URL="postgres://shop@127.0.0.1:5432/shop", DB_PREPARED_STATEMENTS="sometimes")

    assert result.returncode != 0
    assert "DB_PREPARED_STATEMENTS must be a boolean" in result.stderr


@pytest.mark.skipif(not POSTGRES, reason="needs PostgreSQL (DATABASE_URL=postgres://...)")
@pytest.mark.django_db
def test_the_query_every_signed_in_page_makes_is_prepared_on_its_connection(client):
    # given a signed-in customer
    user = make_member(organization=make_organization())
    client.force_login(user)

    # when they view pages on one connection
    for _ in range(3):
        assert client.get("/").status_code == 200

    # then the server keeps the plan of the query that reads them, their cart and their organization
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements")
        prepared = [row[0] for row in cursor.fetchall()]
    shopper = _user_shopper_sql().replace("%s", "$1", 1).replace("%s", "$2", 1).replace("%s", "$3", 1)
    assert shopper in prepared
