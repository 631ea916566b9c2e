import os

from .base import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
STORAGES["staticfiles"] = {  # noqa: F405
    "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
}
DATABASES["default"]["CONN_MAX_AGE"] = 0  # noqa: F405
AXES_ENABLED = False
# Parallel runs on one cluster (several checkouts, or helpers) each get their own test database.
DATABASES["default"]["TEST"] = {  # noqa: F405
    "NAME": "test_mycustomers" + os.environ.get("TEST_DB_SUFFIX", "")
}
# Static files come straight from the app folders (no collectstatic outside production).
STATIC_ROOT = None
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
# Tasks run as they are enqueued, inside the test's transaction (no worker process).
TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
