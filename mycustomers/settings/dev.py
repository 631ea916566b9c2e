from .base import *  # noqa: F403

DEBUG = True
STORAGES["staticfiles"] = {  # noqa: F405
    "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
}
# Static files come straight from the app folders (no collectstatic outside production).
STATIC_ROOT = None
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
# Password-reset mail is printed where `make run` runs.
EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
# `make run` seeds a demo admin (staff, superuser) beside the demo performer.
DEMO_ADMIN = True
