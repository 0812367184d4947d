"""Configuration, read from the environment (see docs/configuration.md)."""

import datetime as dt
import os
import secrets
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from autosales.core.content_security import content_security_policy
from autosales.core.timezones import is_zone_name, zone_error


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    if value.lower() in {"1", "true", "yes", "on"}:
        return True
    if value.lower() in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name} must be a boolean (1/0, true/false), not {value!r}")


def env_time_zone(name: str, default: str) -> str:
    value = os.environ.get(name) or default
    if not is_zone_name(value):
        raise ImproperlyConfigured(f"{name}: {zone_error(value)}")
    return value


def env_list(name: str, default: str) -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


BASE_DIR = Path(__file__).resolve().parent
VAR_DIR = Path(os.environ.get("AUTOSALES_VAR_DIR", Path.cwd() / "var")).resolve()

DEBUG = env_bool("DEBUG", False)

DATABASE_URL = os.environ.get("DATABASE_URL", "")
# DB_POOL_SIZE (PostgreSQL): each process keeps a psycopg pool of up to this many connections, shared by its
# threads, instead of one kept connection per thread that is pinged (SELECT 1) before every request reuses it.
DB_POOL_SIZE = os.environ.get("DB_POOL_SIZE", "")
if DB_POOL_SIZE and not (DB_POOL_SIZE.isdigit() and int(DB_POOL_SIZE) > 0):
    raise ImproperlyConfigured(f"DB_POOL_SIZE must be a whole number above 0, not {DB_POOL_SIZE!r}")
if DATABASE_URL and DB_POOL_SIZE:
    DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=0)}
    DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
        "min_size": 1,
        "max_size": int(DB_POOL_SIZE),
        "timeout": 10,
    }
elif DATABASE_URL:
    DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=60, conn_health_checks=True)}
else:
    DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": str(VAR_DIR / "autosales.sqlite3")}}

_db = DATABASES["default"]
IS_SQLITE = _db["ENGINE"] == "django.db.backends.sqlite3"
# PostgreSQL plans a statement each time it is sent with its values written in (Django's default); the query every
# signed-in page makes takes longer to plan than to run. With the values sent apart, psycopg prepares a statement
# on its second run on a connection, and the server keeps its plan. DB_PREPARED_STATEMENTS=0 for a
# pooler in transaction mode that cannot keep prepared statements (docs/deployment.md).
DB_PREPARED_STATEMENTS = env_bool("DB_PREPARED_STATEMENTS", True)
if not IS_SQLITE and DB_PREPARED_STATEMENTS:
    _db.setdefault("OPTIONS", {}).update({"server_side_binding": True, "prepare_threshold": 2})
if IS_SQLITE:
    # WAL lets readers run beside the writer; IMMEDIATE takes the write lock when a
    # transaction starts, so two writers queue instead of failing half-way.
    _db["CONN_MAX_AGE"] = 0
    _db.setdefault("OPTIONS", {}).update(
        {
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;",
        }
    )
    # SQLite creates the file but not its folder: make it here, whoever starts first (a command, the server).
    if str(_db["NAME"]) != ":memory:":
        Path(_db["NAME"]).parent.mkdir(parents=True, exist_ok=True)


def _secret_key() -> str:
    if os.environ.get("SECRET_KEY"):
        return os.environ["SECRET_KEY"]
    if not (DEBUG or IS_SQLITE):
        raise ImproperlyConfigured(
            "SECRET_KEY must be set in production (DEBUG is off and DATABASE_URL points at a database server)."
        )
    # The demo keeps a generated key under var/ so sessions survive a restart.
    key_file = VAR_DIR / "secret_key"
    if not key_file.exists():
        VAR_DIR.mkdir(parents=True, exist_ok=True)
        key_file.write_text(secrets.token_urlsafe(50))
        key_file.chmod(0o600)
    return key_file.read_text().strip()


SECRET_KEY = _secret_key()
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost,[::1]")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", "")

# Behind TLS in production; the demo and a local `autosales serve` set HTTPS=0.
HTTPS = env_bool("HTTPS", not DEBUG)
# The reverse proxies in front (docs/deployment.md): only requests from these addresses may say, with
# X-Forwarded-Proto/-For/-Host, that the client came over https; from anyone else those headers are ignored.
TRUSTED_PROXIES = env_list("TRUSTED_PROXIES", "")
SECURE_SSL_REDIRECT = HTTPS
SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS
SECURE_HSTS_SECONDS = 31536000 if HTTPS else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = HTTPS
SECURE_HSTS_PRELOAD = HTTPS
# Not Django's X-Forwarded-Proto check: it cannot tell who sent the header. The WSGI server, which sees the peer's
# address, sets the scheme from it for trusted proxies only (`autosales serve` from TRUSTED_PROXIES, gunicorn from
# --forwarded-allow-ips) and drops it from anyone else.
SECURE_PROXY_SSL_HEADER = None
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
# Sessions are written to the database and read from the shared cache (Redis or files, see CACHES below): a page
# does not query the session table, and a session the cache has dropped is read from the database again.
SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_countries",
    "axes",  # the sign-in throttle (docs/accounts.md, "Sign-in throttle")
    "csp",
    "ninja",  # serves the API docs page (Swagger UI) from local static files, no CDN
    "autosales.core",
    "autosales.customers",
    "autosales.catalog",
    "autosales.pricing",
    "autosales.inventory",
    "autosales.cart",
    "autosales.payments",
    "autosales.checkout",
    "autosales.orders",
    "autosales.fulfillment",
    "autosales.recurring",
    "autosales.billing",
    "autosales.crm",
    "autosales.notifications",
    "autosales.jobs",
    "autosales.storefront",
    "autosales.backoffice",
    "autosales.api",
    "autosales.demo",
]
if not IS_SQLITE:
    INSTALLED_APPS.append("django.contrib.postgres")

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "autosales.core.http.middleware.RequestInputMiddleware",
    "autosales.core.request_memo.RequestMemoMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # After sessions, before common: the visitor's language (the set_language cookie, then Accept-Language).
    "django.middleware.locale.LocaleMiddleware",
    "autosales.core.http.languages.EnglishOnlyPathsMiddleware",  # the back office and the API stay English
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "autosales.customers.middleware.BearerTokenMiddleware",
    "autosales.storefront.middleware.ShopperMiddleware",  # a customer's cart and organization in one query
    "autosales.customers.middleware.TimeZoneMiddleware",
    "autosales.crm.store_visits.StoreVisitMiddleware",  # cache only, no query (docs/crm.md, "Store visits")
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "axes.middleware.AxesMiddleware",  # last: turns a locked-out sign-in into the lockout answer
]

ROOT_URLCONF = "autosales.urls"
WSGI_APPLICATION = "autosales.wsgi.application"
AUTH_USER_MODEL = "customers.User"
LOGIN_URL = "storefront:signin"
# Every password check (the store's sign-in, the admin's, anything calling authenticate) passes axes first;
# the second is Django's ModelBackend, reading a signed-in user again with one written-out query.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "autosales.customers.backends.UserBackend",
]
LOGIN_REDIRECT_URL = "storefront:home"
LOGOUT_REDIRECT_URL = "storefront:home"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "autosales.core.context_processors.shop",
                "autosales.cart.context_processors.cart",
                "autosales.customers.context_processors.customer",
            ],
        },
    },
]

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# The languages the store and its customer emails are translated into (src/autosales/locale); the shop's own is
# SHOP_LANGUAGE, shown to visitors whose browser asks for none of them and used for emails to organizations
# without a language of their own.
LANGUAGES = [("en", "English"), ("es", "Español")]
LANGUAGE_CODE = os.environ.get("SHOP_LANGUAGE") or "en-us"
if LANGUAGE_CODE.split("-")[0] not in dict(LANGUAGES):
    raise ImproperlyConfigured(f"SHOP_LANGUAGE must be one of {', '.join(dict(LANGUAGES))}, not {LANGUAGE_CODE!r}")
LOCALE_PATHS = [BASE_DIR / "locale"]
# Times are stored in UTC (USE_TZ); TIME_ZONE is only the zone they are shown in by default, so it is the
# shop's zone: pages for staff and visitors, the admin, emails and commands show the shop's local time, and
# the time zone middleware switches to an organization's own zone for its members.
SHOP_TIME_ZONE = env_time_zone("SHOP_TIME_ZONE", "UTC")
TIME_ZONE = SHOP_TIME_ZONE
USE_I18N = True
USE_TZ = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
WHITENOISE_USE_FINDERS = True
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}


# Email: EMAIL_URL=smtp://user:password@host:587?tls=1, smtps://..., or mailbox:// (the demo's
# default: emails are kept in the back-office mailbox instead of leaving the machine).
EMAIL_URL = os.environ.get("EMAIL_URL", "mailbox://")
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "Bright Bulbs Supply <orders@example.com>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

REDIS_URL = os.environ.get("REDIS_URL", "")

# Card payments: "test" (the built-in test gateway, see docs/payments.md) or "stripe".
PAYMENT_PROVIDER = os.environ.get("PAYMENT_PROVIDER", "test")
TEST_GATEWAY_WEBHOOK_SECRET = os.environ.get("TEST_GATEWAY_WEBHOOK_SECRET", "whsec_test_gateway")
# The shop takes a checkout's card money at order (one gateway call authorizes and captures: a sale). Off:
# the checkout only authorizes and captures in a second call after the order is confirmed.
PAYMENT_CAPTURE_AT_ORDER = env_bool("PAYMENT_CAPTURE_AT_ORDER", True)
# Card orders of a shop that captures at shipment are only authorized at checkout; each shipment captures what
# it ships and cancelling the unshipped remainder releases the rest (docs/fulfillment.md, "Capture at shipment").
PAYMENT_CAPTURE_AT_SHIPMENT = env_bool("PAYMENT_CAPTURE_AT_SHIPMENT", False)
# Carriers beyond the built-in UPS, FedEx, USPS, DHL and Old Dominion (freight): code -> name and tracking URL.
FULFILLMENT_CARRIERS: dict = {}
# A checkout whose card authorization has not settled after this many minutes gives its stock back.
CHECKOUT_PENDING_TTL_MINUTES = int(os.environ.get("CHECKOUT_PENDING_TTL_MINUTES", "15"))
# A finished checkout attempt (what a replay of the same Idempotency-Key answers from) is purged after this.
CHECKOUT_ATTEMPT_RETENTION_DAYS = int(os.environ.get("CHECKOUT_ATTEMPT_RETENTION_DAYS", "30"))

# Stripe (PAYMENT_PROVIDER=stripe; see docs/payments.md). Keys from the Stripe dashboard; STRIPE_API_BASE
# points the SDK at another server speaking the Stripe API (empty: Stripe itself).
STRIPE_SECRET_KEY = os.environ.get("STRIPE_SECRET_KEY", "")
STRIPE_PUBLISHABLE_KEY = os.environ.get("STRIPE_PUBLISHABLE_KEY", "")
STRIPE_WEBHOOK_SECRET = os.environ.get("STRIPE_WEBHOOK_SECRET", "")
STRIPE_API_BASE = os.environ.get("STRIPE_API_BASE", "")
STRIPE_JS_URL = os.environ.get("STRIPE_JS_URL", "https://js.stripe.com/v3/")
STRIPE_TIMEOUT_SECONDS = float(os.environ.get("STRIPE_TIMEOUT_SECONDS", "30"))
STRIPE_MAX_NETWORK_RETRIES = int(os.environ.get("STRIPE_MAX_NETWORK_RETRIES", "2"))
if PAYMENT_PROVIDER == "stripe" and not (STRIPE_SECRET_KEY and STRIPE_PUBLISHABLE_KEY and STRIPE_WEBHOOK_SECRET):
    raise ImproperlyConfigured(
        "PAYMENT_PROVIDER=stripe needs STRIPE_SECRET_KEY, STRIPE_PUBLISHABLE_KEY and STRIPE_WEBHOOK_SECRET."
    )

# Content-Security-Policy on every response (django-csp; the policy and why: core/content_security.py).
CONTENT_SECURITY_POLICY = content_security_policy(
    stripe=PAYMENT_PROVIDER == "stripe", stripe_js_url=STRIPE_JS_URL, stripe_api_base=STRIPE_API_BASE
)

# The shop's brand, used by pages and emails.
SHOP = {
    "name": os.environ.get("SHOP_NAME", "Bright Bulbs Supply"),
    "address": os.environ.get("SHOP_ADDRESS", "100 Filament Way, Springfield, IL 62701, USA"),
    "primary_colour": os.environ.get("SHOP_PRIMARY_COLOUR", "#1f4e79"),
    "accent_colour": os.environ.get("SHOP_ACCENT_COLOUR", "#f2b705"),
    "base_url": os.environ.get("SHOP_BASE_URL", "http://127.0.0.1:8000"),
}
CURRENCY = os.environ.get("CURRENCY", "USD")
# Billing (docs/billing.md): number prefixes (INV-2027-000123, CN-2027-000007), the default overdue reminder
# schedule in days from the due date, and how many days overdue puts an account on credit hold (each
# organization may override the last two).
BILLING_INVOICE_PREFIX = os.environ.get("BILLING_INVOICE_PREFIX", "INV")
BILLING_CREDIT_NOTE_PREFIX = os.environ.get("BILLING_CREDIT_NOTE_PREFIX", "CN")
BILLING_REMINDER_DAYS = os.environ.get("BILLING_REMINDER_DAYS", "-3,0,7,14")
BILLING_CREDIT_HOLD_AFTER_DAYS = os.environ.get("BILLING_CREDIT_HOLD_AFTER_DAYS", "30")  # checked: billing.checks

# CRM email logging (docs/crm.md): the address salespeople copy or forward messages to, and the secret a mail relay
# sends with each raw message it posts to /backoffice/crm/inbound-email/ (blank: the endpoint is off).
CRM_LOGGING_ADDRESS = os.environ.get("CRM_LOGGING_ADDRESS", "")
CRM_INBOUND_EMAIL_SECRET = os.environ.get("CRM_INBOUND_EMAIL_SECRET", "")
# Phone numbers written without a country code are read as numbers of this country.
CRM_PHONE_REGION = os.environ.get("CRM_PHONE_REGION", "US")
# Store visits of signed-in customers' people summed up on their timeline (docs/crm.md, "Store visits"); off: none.
CRM_STORE_VISITS = env_bool("CRM_STORE_VISITS", True)
# Stock shown (docs/configuration.md, "Stock shown"): "Only a few left" from 1 up to LOW_STOCK_THRESHOLD units,
# "In stock" above it; when none is left, "Ships in N days" with STOCK_RESTOCK_DAYS (0: "Out of stock"). Exact
# counts only to signed-in members of a customer organization, and only while STOCK_COUNTS_FOR_BUSINESS is on.
LOW_STOCK_THRESHOLD = int(os.environ.get("LOW_STOCK_THRESHOLD", "10"))
# The back-office home's revenue figures (order history) are kept this long in the cache; 0 reads them every time.
DASHBOARD_CACHE_SECONDS = int(os.environ.get("DASHBOARD_CACHE_SECONDS", "300"))
if DASHBOARD_CACHE_SECONDS < 0:
    raise ImproperlyConfigured(f"DASHBOARD_CACHE_SECONDS must be 0 or more, not {DASHBOARD_CACHE_SECONDS}")
STOCK_RESTOCK_DAYS = int(os.environ.get("STOCK_RESTOCK_DAYS", "0"))
STOCK_COUNTS_FOR_BUSINESS = env_bool("STOCK_COUNTS_FOR_BUSINESS", True)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "INFO"}},
}

# Jobs and the email outbox (docs/configuration.md, "Jobs and email delivery").
EMAIL_BACKEND = "autosales.notifications.backends.OutboxBackend"
TEMPLATES[0]["OPTIONS"]["context_processors"].append("autosales.notifications.context_processors.notifications")


def env_positive(name: str, default: float) -> float:
    value = os.environ.get(name, "")
    try:
        seconds = float(value) if value else default
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a number, not {value!r}") from None
    if seconds <= 0:
        raise ImproperlyConfigured(f"{name} must be a positive number, not {value!r}")
    return seconds


OUTBOX_DELIVERY_SECONDS = env_positive("OUTBOX_DELIVERY_SECONDS", 10)
OUTBOX_BATCH_SIZE = int(env_positive("OUTBOX_BATCH_SIZE", 200))
OUTBOX_MAX_ATTEMPTS = int(env_positive("OUTBOX_MAX_ATTEMPTS", 24))
OUTBOX_BACKOFF_BASE_SECONDS = env_positive("OUTBOX_BACKOFF_BASE_SECONDS", 30)
OUTBOX_BACKOFF_MAX_SECONDS = env_positive("OUTBOX_BACKOFF_MAX_SECONDS", 3600)
OUTBOX_LEASE_SECONDS = env_positive("OUTBOX_LEASE_SECONDS", 300)
# How long a worker holds a job or a claimed batch of standing-order runs; a live worker renews it, so it only
# bounds how long the work of a worker that died waits for another (batches are sized to fit in it).
JOBS_LEASE_SECONDS = env_positive("JOBS_LEASE_SECONDS", 300)
JOBS_POLL_SECONDS = env_positive("JOBS_POLL_SECONDS", 5)
# With REDIS_URL: after Redis failed to take a wake-up, how long a process stops trying (the circuit breaker).
BROKER_PAUSE_SECONDS = env_positive("BROKER_PAUSE_SECONDS", 30)
JOBS_TIME_ZONE = env_time_zone("JOBS_TIME_ZONE", SHOP_TIME_ZONE)

# The sign-in throttle, django-axes (docs/accounts.md, "Sign-in throttle"): SIGNIN_FAILURE_LIMIT failed passwords
# for one username from one client address lock that pair out for SIGNIN_COOLOFF_SECONDS. Locking the pair, not
# the username, means a guesser cannot lock a user out from everywhere. The address is REMOTE_ADDR as Django sees
# it (the web server in front puts the client's address there when it trusts the proxy that forwarded it).
SIGNIN_FAILURE_LIMIT = int(env_positive("SIGNIN_FAILURE_LIMIT", 5))
SIGNIN_COOLOFF_SECONDS = int(env_positive("SIGNIN_COOLOFF_SECONDS", 15 * 60))
AXES_FAILURE_LIMIT = SIGNIN_FAILURE_LIMIT
AXES_COOLOFF_TIME = dt.timedelta(seconds=SIGNIN_COOLOFF_SECONDS)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_CLIENT_IP_CALLABLE = "autosales.customers.signin_throttle.client_ip"
AXES_LOCKOUT_CALLABLE = "autosales.customers.signin_throttle.signin_locked_response"
AXES_COOLOFF_MESSAGE = (
    f"Too many failed sign-ins. Try again in {max(1, SIGNIN_COOLOFF_SECONDS // 60)} minutes, or reset your password."
)
AXES_DISABLE_ACCESS_LOG = True  # successful sign-ins are not logged: only the failures matter here
AXES_VERBOSE = False

# One cache shared by every process of the shop (gunicorn workers, `autosales worker`): the store's cached
# product grids are invalidated by version tokens that any process may replace (core/cache_versions.py).
# Redis when REDIS_URL is set, else files under $AUTOSALES_VAR_DIR/cache (one machine).
CACHE_SECONDS = int(env_positive("CACHE_SECONDS", 600))
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "autosales.core.cache_redis.SharedClientRedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "autosales",
            "TIMEOUT": CACHE_SECONDS,
            "OPTIONS": {"socket_connect_timeout": 2, "socket_timeout": 2},
        }
    }
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(VAR_DIR / "cache"),
            "TIMEOUT": CACHE_SECONDS,
            "OPTIONS": {"MAX_ENTRIES": 3000},
        }
    }

# Rendered page parts ({% cache %} in storefront/base.html and product.html, docs/architecture.md "Rendered fragments
# kept in each process"): in each process's memory, since reading them from Redis would cost what rendering them
# does. A key names everything its fragment shows (language, shopper, data versions), so what it holds never changes:
# the fragments are kept until the least recently used give way to new ones.
CACHES["template_fragments"] = {
    "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
    "LOCATION": "template-fragments",
    "OPTIONS": {"MAX_ENTRIES": 1000},
}

# Catalog facets (docs/configuration.md, "Catalog"): the variant attributes shown as filters on category and
# search pages, in this order (comma-separated attribute names); blank: every attribute, by name.
CATALOG_FACET_ATTRIBUTES = env_list("CATALOG_FACET_ATTRIBUTES", "")

# Product pictures (docs/configuration.md, "Product pictures"): stored under MEDIA_ROOT and served at MEDIA_URL
# by the app itself while SERVE_MEDIA is on (the demo, small shops); a web server in front may serve them instead.
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", VAR_DIR / "media")).resolve()
SERVE_MEDIA = env_bool("SERVE_MEDIA", True)
CATALOG_THUMBNAIL_SIZE = int(os.environ.get("CATALOG_THUMBNAIL_SIZE", "400"))
CATALOG_IMAGE_MAX_BYTES = int(os.environ.get("CATALOG_IMAGE_MAX_BYTES", str(10 * 1024 * 1024)))
