"""Settings for the test suite: the product's settings with a throw-away secret and plain http.

DATABASE_URL picks the database as in production (unset: SQLite; postgres://...: PostgreSQL).
"""

import os
import tempfile

os.environ.setdefault("SECRET_KEY", "tests-only-secret-key-not-for-production-use-0123456789abcdef")
os.environ.setdefault("HTTPS", "0")
os.environ.setdefault("AUTOSALES_VAR_DIR", tempfile.mkdtemp(prefix="autosales-test-var-"))

from autosales.settings import *  # noqa: F403
from autosales.settings import CACHES, DATABASES, IS_SQLITE, STATIC_ROOT, VAR_DIR

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # fast; production keeps PBKDF2
if IS_SQLITE:
    # A file, not memory: concurrency tests and the live server need real connections to one database.
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / "test_autosales.sqlite3")}

# WhiteNoise serves from the finders in tests; an existing (empty) root keeps it from warning on every request.
STATIC_ROOT.mkdir(parents=True, exist_ok=True)

# The cache is shared by every process of a shop; each test worker has its own, since a test empties it at its
# start (tests/conftest.py) and must not empty another worker's in the middle of a test.
CACHES = {
    "default": {
        **CACHES["default"],
        "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
        "LOCATION": str(VAR_DIR / f"cache-{os.environ.get('PYTEST_XDIST_WORKER', 'main')}"),
        "OPTIONS": {"MAX_ENTRIES": 3000},
    }
}
