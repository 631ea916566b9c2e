"""Settings shared by every environment; dev, test and production override a few."""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import dj_database_url
import jinja2

from mycustomers.settings.local_cluster import database_url

BASE_DIR = Path(__file__).resolve().parent.parent.parent

SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "dev-only-insecure-key-change-me")
DEBUG = False
ALLOWED_HOSTS = [
    h for h in os.environ.get("DJANGO_ALLOWED_HOSTS", "127.0.0.1,localhost").split(",") if h
]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.contrib.postgres",
    "django_tables2",
    "django_filters",
    "django_htmx",
    "csp",
    "axes",
    "django_tasks",
    "django_tasks_db",
    "mycustomers",
    "contacts",
    "lists",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # Inside the header middleware: a page for an error raised here still gets the headers.
    "mycustomers.middleware.DatabaseUnavailableMiddleware",
    "mycustomers.middleware.SessionTimeoutMiddleware",
    "mycustomers.middleware.NoStoreForLoggedInMiddleware",
    "mycustomers.middleware.PerformerTimeZoneMiddleware",
    # Last: axes must see the authentication outcome.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "mycustomers.urls"
WSGI_APPLICATION = "mycustomers.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "csp.context_processors.nonce",
            ],
            # {% url %}: each URL reversed once per process.
            "builtins": ["mycustomers.templatetags.remembered_urls"],
        },
    },
    # The main view's page body only (mycustomers.jinja2): rendered by name through this
    # engine alone, as the first engine would parse a .jinja file too.
    {
        "NAME": "jinja2",
        "BACKEND": "django.template.backends.jinja2.Jinja2",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": False,
        "OPTIONS": {
            "environment": "mycustomers.jinja2.environment",
            # A name the view does not pass is a bug to see in tests, not an empty string.
            "undefined": jinja2.StrictUndefined,
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL") or database_url(),
        conn_max_age=int(os.environ.get("DJANGO_CONN_MAX_AGE", "60")),
        conn_health_checks=True,
    )
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "mycustomers.Performer"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "customers:list"
LOGOUT_REDIRECT_URL = "login"
# A session ends after this long without a request (ASVS V3.3.2: 30 minutes idle), and
# SESSION_MAX_SECONDS after logging in whatever the activity (mycustomers.middleware).
SESSION_COOKIE_AGE = int(os.environ.get("MYCUSTOMERS_SESSION_IDLE_MINUTES", "30")) * 60
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = True
# The reset mail says the link works "within an hour".
PASSWORD_RESET_TIMEOUT = 60 * 60
# Mail (password reset links): Django's SMTP backend, configured from the environment in
# production; the console in development; kept in memory in tests.
DEFAULT_FROM_EMAIL = os.environ.get(
    "DJANGO_DEFAULT_FROM_EMAIL", "My Customers <no-reply@localhost>"
)
SERVER_EMAIL = DEFAULT_FROM_EMAIL
EMAIL_TIMEOUT = 10  # seconds: a mail server that hangs must not hang the request

# django-axes (ASVS V2.2.1), mycustomers.lockout: failed logins lock an address after
# AXES_FAILURE_LIMIT failures over any usernames, and a username after USERNAME_FAILURE_LIMIT
# from any addresses, for the cool-off time. A per-username limit as low as the address's would
# let anyone lock a performer out with a few wrong passwords; 100 an hour is the ceiling ASVS
# allows for guesses at one account. The client's address comes from REMOTE_ADDR, or from
# X-Forwarded-For as written by TRUSTED_PROXY_COUNT proxies (mycustomers.lockout.client_ip).
AXES_LOCKOUT_PARAMETERS = ["ip_address", "username"]
AXES_FAILURE_LIMIT = 10
AXES_COOLOFF_TIME = 1  # hours
AXES_HANDLER = "mycustomers.lockout.LockoutHandler"
AXES_CLIENT_IP_CALLABLE = "mycustomers.lockout.client_ip"
# A successful login must not wipe the failures of its address (one's own account would
# then reset the count of guesses at others'): the default, said out loud.
AXES_RESET_ON_SUCCESS = False
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / ".var" / "static"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

# No inline script or style anywhere: every asset is a file served by the app.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
        "base-uri": ["'none'"],
        "object-src": ["'none'"],
    }
}
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

# Django's form renderer, remembering each widget's HTML (the Filters panel's 26 widgets).
FORM_RENDERER = "mycustomers.renderers.CachedWidgetRenderer"

DJANGO_TABLES2_TEMPLATE = "django_tables2/table.html"

# Per process: an entry is keyed by the performer's data version, so it never needs deleting.
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
    "counts": {
        "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
        "LOCATION": "counts",
        "TIMEOUT": 3600,
        "OPTIONS": {"MAX_ENTRIES": 20_000},
    },
}

# Product rules that a deployment may tune.
MYCUSTOMERS = {
    "NEW_CUSTOMER_DAYS": 30,
    "RECONTACT_ALERT_DAYS": 30,
    "DELETED_RETENTION_DAYS": 30,
    "HISTORY_MONTHS": 16,
    # A customer is overdue once the days since their last paid day reach this many times
    # their usual gap (the factor as shown, to one decimal); refresh_insights applies a change.
    "OVERDUE_FACTOR": Decimal(os.environ.get("MYCUSTOMERS_OVERDUE_FACTOR", "1.5")),
    # A mass action over more customers than this runs in the background, this many
    # customers per transaction (mycustomers.jobs): the request answers at once.
    "BACKGROUND_ACTION_MIN": 5_000,
    "BACKGROUND_CHUNK": 5_000,
    # A task whose worker has not said it is alive for this long is given to another worker
    # (mycustomers.workers); a worker says so every few seconds, whatever it is doing.
    "WORKER_LEASE_SECONDS": 60,
    # Events may happen from EVENT_TIME_MIN to EVENT_TIME_MAX_AHEAD after now (clocks drift);
    # anything else is a bad row. PostgreSQL would store year 0 or 10000 (in UTC), which
    # Python cannot read back.
    "EVENT_TIME_MIN": datetime(1990, 1, 1, tzinfo=UTC),
    "EVENT_TIME_MAX_AHEAD": timedelta(days=1),
    # Sessions (see SESSION_COOKIE_AGE above). A session is saved again (its idle expiry moved
    # ahead) at most this often: saving it on every request would be a database write each.
    "SESSION_REFRESH_SECONDS": 5 * 60,
    "SESSION_MAX_SECONDS": 12 * 60 * 60,
    # Log-in lockout (see AXES_* above).
    "USERNAME_FAILURE_LIMIT": 100,
    "TRUSTED_PROXY_COUNT": int(os.environ.get("MYCUSTOMERS_TRUSTED_PROXY_COUNT", "0")),
}

# Background work (large mass actions, the daily refresh) is queued in the database and run
# by `manage.py run_worker` (django-tasks-db's worker, kept alive through database restarts);
# `make run` starts one beside the web server.
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": "WARNING"},
}

# Member pages live on the marketplace itself; the app only links to them.
MEMBER_PAGE_BASE_URL = os.environ.get(
    "MEMBER_PAGE_BASE_URL", "https://marketplace.example/members/"
)

# `seed_demo` makes a known superuser for the Django admin (dev.py only): never in production.
DEMO_ADMIN = False
