"""The shape of the code base: imports run one way, and the app never needs its tooling."""

from __future__ import annotations

import ast
import subprocess
import sys
from graphlib import CycleError, TopologicalSorter
from pathlib import Path


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


FIRST_PARTY = ("mycustomers", "contacts", "lists")
ROOT = Path(__file__).resolve().parent.parent


def first_party_imports() -> dict[str, set[str]]:
    """Module -> the first-party modules it imports, anywhere in it (functions included)."""
    graph: dict[str, set[str]] = {}
    for package in FIRST_PARTY:
        for path in (ROOT / package).rglob("*.py"):
            if "migrations" in path.parts:
                continue
            module = ".".join(path.relative_to(ROOT).with_suffix("").parts).removesuffix(
                ".__init__"
            )
            graph[module] = set()
            for node in ast.walk(ast.parse(path.read_text())):
                if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                    names = [node.module, *(f"{node.module}.{a.name}" for a in node.names)]
                elif isinstance(node, ast.Import):
                    names = [a.name for a in node.names]
                else:
                    continue
                graph[module].update(n for n in names if n.split(".")[0] in FIRST_PARTY)
    # "from lists import services" names a module; "from lists.models import X" a name in one.
    return {
        m: {n if n in graph else n.rpartition(".")[0] for n in deps} - {m}
        for m, deps in graph.items()
    }


def test_first_party_imports_have_no_cycle():
    graph = first_party_imports()
    graph = {m: {d for d in deps if d in graph} for m, deps in graph.items()}
    sorter = TopologicalSorter(graph)
    try:
        sorter.prepare()
    except CycleError as error:
        raise AssertionError(f"import cycle: {' -> '.join(error.args[1])}") from None


def test_the_app_never_imports_the_devtools():
    graph = first_party_imports()
    tooling = ("mycustomers.devtools", "mycustomers.management")
    offenders = {
        module: sorted(d for d in deps if d.startswith("mycustomers.devtools"))
        for module, deps in graph.items()
        if not module.startswith(tooling)
    }
    assert not {m: d for m, d in offenders.items() if d}
