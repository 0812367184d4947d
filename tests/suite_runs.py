"""The suite runs twice, on SQLite and on PostgreSQL (DATABASE_URL). A test that never touches the test
database (a command in a subprocess with its own SQLite file, a property of a pure function) proves the same
thing in both runs: `once` keeps it to the SQLite run."""

import pytest
from django.conf import settings

ON_POSTGRES = "postgresql" in settings.DATABASES["default"]["ENGINE"]

once = pytest.mark.skipif(ON_POSTGRES, reason="does not use the test database: it runs in the SQLite run")
