"""System checks of a deployment (``manage.py check --deploy``)."""

from __future__ import annotations

from django.contrib.staticfiles.finders import get_finders
from django.contrib.staticfiles.storage import ManifestFilesMixin, staticfiles_storage
from django.core.checks import Error, Tags, register
from django.core.exceptions import ImproperlyConfigured

HINT = "Run manage.py collectstatic with the production settings before starting the server."


@register(Tags.staticfiles, deploy=True)
def static_files_manifest(app_configs, **kwargs) -> list[Error]:
    """Under a manifest storage every page looks its static files up in the manifest: a
    missing manifest, or one without a file a page names, makes every such page a 500."""
    try:
        if not isinstance(staticfiles_storage, ManifestFilesMixin):
            return []
        manifest = staticfiles_storage.manifest_name
        if not staticfiles_storage.exists(manifest):
            return [
                Error(
                    f"The static files manifest {staticfiles_storage.path(manifest)} is "
                    "missing: every page would fail.",
                    hint=HINT,
                    id="mycustomers.E001",
                )
            ]
        listed, _hash = staticfiles_storage.load_manifest()
    except (ImproperlyConfigured, ValueError) as exc:  # no STATIC_ROOT; a manifest not JSON
        return [Error(str(exc), hint=HINT, id="mycustomers.E001")]
    found = {path for finder in get_finders() for path, _storage in finder.list([])}
    missing = sorted(found - listed.keys())
    if missing:
        shown = ", ".join(missing[:5]) + (", …" if len(missing) > 5 else "")
        return [
            Error(
                f"The static files manifest lacks {len(missing)} file(s) ({shown}): the pages "
                "that use them would fail.",
                hint=HINT,
                id="mycustomers.E002",
            )
        ]
    return []
