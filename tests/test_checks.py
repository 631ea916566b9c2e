"""The deployment checks (``manage.py check --deploy``) of mycustomers/checks.py."""

from __future__ import annotations

import json

import pytest
from django.core.management import call_command

from mycustomers.checks import static_files_manifest

MANIFEST = {"BACKEND": "django.contrib.staticfiles.storage.ManifestStaticFilesStorage"}


@pytest.fixture
def manifest_storage(settings, tmp_path):
    """ManifestStaticFilesStorage in an empty STATIC_ROOT, as before collectstatic."""
    settings.STATIC_ROOT = tmp_path
    settings.STORAGES = {**settings.STORAGES, "staticfiles": MANIFEST}
    return tmp_path


def ids(errors) -> list[str]:
    return [error.id for error in errors]


def test_a_missing_manifest_fails_the_deploy_check(manifest_storage):
    errors = static_files_manifest(None)
    assert ids(errors) == ["mycustomers.E001"]
    assert "is missing: every page would fail" in errors[0].msg
    assert "collectstatic" in errors[0].hint


def test_a_manifest_without_a_file_the_pages_use_fails_the_deploy_check(manifest_storage):
    call_command("collectstatic", "--noinput", verbosity=0)
    manifest = manifest_storage / "staticfiles.json"
    stale = json.loads(manifest.read_text())
    del stale["paths"]["css/detail.css"]  # a file added since collectstatic ran
    manifest.write_text(json.dumps(stale))

    errors = static_files_manifest(None)

    assert ids(errors) == ["mycustomers.E002"]
    assert "lacks 1 file(s) (css/detail.css)" in errors[0].msg


def test_an_unreadable_manifest_fails_the_deploy_check(manifest_storage):
    (manifest_storage / "staticfiles.json").write_text("{not json")
    assert ids(static_files_manifest(None)) == ["mycustomers.E001"]


def test_a_collected_manifest_passes(manifest_storage):
    call_command("collectstatic", "--noinput", verbosity=0)
    assert static_files_manifest(None) == []


def test_storage_without_a_manifest_is_not_checked():
    assert static_files_manifest(None) == []


def test_the_check_runs_only_with_deploy(manifest_storage):
    call_command("check")  # no error without --deploy
    with pytest.raises(Exception, match=r"mycustomers\.E001"):
        call_command("check", "--deploy")
