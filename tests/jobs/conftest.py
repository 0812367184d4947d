import os
import sys
from pathlib import Path

import pytest
from django.db import connection

from autosales.jobs.registry import job, unregister

BIN = Path(sys.executable).parent


@pytest.fixture
def child_env():
    """Environment for a child process (`autosales serve`, a Celery worker) that uses this test's database."""
    db = connection.settings_dict
    if connection.vendor == "postgresql":
        auth = db["USER"] + (f":{db['PASSWORD']}" if db.get("PASSWORD") else "")
        url = f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
    else:
        url = f"sqlite:///{db['NAME']}"
    env = {k: v for k, v in os.environ.items() if k not in {"DJANGO_SETTINGS_MODULE", "REDIS_URL"}}
    env.update(
        DATABASE_URL=url,
        DJANGO_SETTINGS_MODULE="autosales.settings",
        SECRET_KEY="tests-only-secret-key-for-child-processes-0123456789",
        HTTPS="0",
        PYTHONUNBUFFERED="1",
    )
    return env


@pytest.fixture
def make_job():
    """Register throw-away jobs for one test: make_job(name, func, every=..., daily_at=...)."""
    names = []

    def register(name, func, **schedule):
        job(name, **schedule)(func)
        names.append(name)
        return func

    yield register
    for name in names:
        unregister(name)
