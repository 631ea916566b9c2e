"""Settings of the worker processes that tests/test_worker_faults.py starts: the test
settings, with tasks queued in the database (as in production), small chunks and a short
lease, so that a fault lands in the middle of an action and a lost worker is noticed soon."""

from mycustomers.settings.test import *  # noqa: F403

TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}
MYCUSTOMERS = {
    **MYCUSTOMERS,  # noqa: F405
    "BACKGROUND_ACTION_MIN": 1,
    "BACKGROUND_CHUNK": 2,
    "WORKER_LEASE_SECONDS": 2,
}
