"""DB_POOL_SIZE: web processes share a psycopg pool of PostgreSQL connections among their threads."""

import os
import subprocess
import sys

import pytest

POSTGRES_URL = os.environ.get("DATABASE_URL", "") if os.environ.get("DATABASE_URL", "").startswith("postgres") else ""


def _run(code: str, **env) -> subprocess.CompletedProcess:
    environment = {key: value for key, value in os.environ.items() if key != "DB_POOL_SIZE"}
    environment.update({"SECRET_KEY": "x" * 50, "DJANGO_SETTINGS_MODULE": "autosales.settings", **env})
    return subprocess.run([sys.executable, "-c", code], env=environment, capture_output=True, text=True, timeout=60)


def test_a_pool_size_gives_each_process_a_pool_instead_of_kept_connections():
    code = "import autosales.settings as s; d = s.DATABASES['default']; print(d['CONN_MAX_AGE'], d['OPTIONS']['pool'])"
    result = _run(code, DATABASE_URL="postgres://shop@127.0.0.1:5432/shop", DB_POOL_SIZE="3")

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "0 {'min_size': 1, 'max_size': 3, 'timeout': 10}"


def test_without_a_pool_size_each_thread_keeps_its_connection():
    code = "import autosales.settings as s; d = s.DATABASES['default']; print(d['CONN_MAX_AGE'], 'pool' in d.get('OPTIONS', {}))"
    result = _run(code, DATABASE_URL="postgres://shop@127.0.0.1:5432/shop")

    assert result.stdout.split() == ["60", "False"], result.stderr


@pytest.mark.parametrize("value", ["0", "many", "-2"])
def test_a_pool_size_that_is_not_a_whole_number_above_0_stops_the_start_naming_the_variable(value):
    result = _run("import autosales.settings", DATABASE_URL="postgres://shop@127.0.0.1:5432/shop", DB_POOL_SIZE=value)

    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert f"DB_POOL_SIZE must be a whole number above 0, not {value!r}" in result.stderr


@pytest.mark.skipif(not POSTGRES_URL, reason="needs PostgreSQL (DATABASE_URL=postgres://...)")
@pytest.mark.django_db
def test_requests_take_their_connection_from_the_pool_and_give_it_back():
    from django.db import connection

    test_database = POSTGRES_URL.rsplit("/", 1)[0] + "/" + connection.settings_dict["NAME"]
    # given a process with a pool of two connections to the real database
    code = (
        "import django; django.setup()\n"
        "from django.db import connection\n"
        "pids = set()\n"
        "for _ in range(5):\n"
        "    with connection.cursor() as cursor:\n"
        "        cursor.execute('SELECT pg_backend_pid()'); pids.add(cursor.fetchone()[0])\n"
        "    connection.close()  # what Django does at the end of every request: back to the pool\n"
        "print(type(connection.pool).__name__, connection.pool.max_size, len(pids))\n"
    )
    # when five requests in turn ask for a connection
    result = _run(code, DATABASE_URL=test_database, DB_POOL_SIZE="2")

    # then they were served by the pool, on no more connections than it may open (not one per request)
    assert result.returncode == 0, result.stderr
    kind, size, connections = result.stdout.split()
    assert (kind, size) == ("ConnectionPool", "2") and 1 <= int(connections) <= 2
