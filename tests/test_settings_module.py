from django.conf import settings


def test_the_suite_runs_with_the_test_settings():
    # `make test` once ran it with the dev settings the Makefile exports (pytest-django takes
    # DJANGO_SETTINGS_MODULE from the environment before pyproject's): tasks were queued for
    # a worker instead of run, and the test-only settings were ignored.
    assert settings.SETTINGS_MODULE == "mycustomers.settings.test"
