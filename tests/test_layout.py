"""The shape of the code base: settings never import development tooling."""

from __future__ import annotations

import subprocess
import sys


def test_settings_load_without_importing_the_devtools():
    code = (
        "import sys, django, os;"
        "os.environ['DJANGO_SETTINGS_MODULE'] = 'mycustomers.settings.production';"
        "os.environ.setdefault('DJANGO_SECRET_KEY', 'x' * 60);"
        "django.setup();"
        "import mycustomers.urls;"
        "bad = [m for m in sys.modules if m.startswith('mycustomers.devtools')];"
        "print(bad); sys.exit(1 if bad else 0)"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
