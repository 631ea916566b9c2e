"""CPU per request in the web worker (issue 21), ``manage.py bench --only cpu`` (``make cpu``).

A page's wall time in-process mixes the worker's CPU with PostgreSQL's and with whatever else
the machine runs; ``time.process_time()`` counts this process alone, so it is the figure that
decides how many requests a worker serves per second of a core. Requests go straight into
Django's WSGI handler with an environ such as gunicorn builds (HTTPS through the proxy, the
session cookie), so every middleware runs as in production. ``profile`` runs the same
requests under cProfile and sums the time by area (templates, ORM, middleware, ...).
"""

from __future__ import annotations

import cProfile
import io
import pstats
import sys
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path

from django.conf import settings
from django.core.handlers.wsgi import WSGIHandler
from django.test import Client

# Where a function's own time goes, by the path of its file (first match wins).
AREAS = (
    ("templates", ("django/template/", "django/templatetags/", "django_tables2/templatetags")),
    ("forms (widgets)", ("django/forms/",)),
    ("ORM", ("django/db/models/",)),
    ("database driver", ("psycopg", "django/db/backends/", "django/db/utils", "django/db/tr")),
    ("sessions, auth", ("django/contrib/sessions/", "django/contrib/auth/", "axes/")),
    ("middleware", ("middleware", "whitenoise/", "csp/", "django_htmx/")),
    ("URLs", ("django/urls/",)),
    ("django-tables2", ("django_tables2/",)),
    ("django-filter", ("django_filters/",)),
    ("our code", ("/mycustomers/", "/contacts/", "/lists/")),
    ("request, response", ("django/http/", "django/core/handlers/")),
    ("utils, i18n", ("django/utils/",)),
    ("Python", ("",)),
)


class WsgiClient:
    """GET requests into the WSGI handler, logged in as ``performer``, as gunicorn's worker
    makes them behind a TLS-terminating proxy."""

    def __init__(self, performer):
        login = Client()
        login.force_login(performer)
        self.cookie = (
            f"{settings.SESSION_COOKIE_NAME}={login.cookies[settings.SESSION_COOKIE_NAME].value}"
        )
        self.host = next((h for h in settings.ALLOWED_HOSTS if "*" not in h), "localhost")
        self.handler = WSGIHandler()

    def get(self, url: str) -> tuple[str, bytes]:
        path, _, query = url.partition("?")
        environ = {
            "REQUEST_METHOD": "GET",
            "SCRIPT_NAME": "",
            "PATH_INFO": path,
            "QUERY_STRING": query,
            "SERVER_NAME": self.host,
            "SERVER_PORT": "443",
            "SERVER_PROTOCOL": "HTTP/1.1",
            "REMOTE_ADDR": "127.0.0.1",
            "HTTP_HOST": self.host,
            "HTTP_COOKIE": self.cookie,
            "HTTP_X_FORWARDED_PROTO": "https",
            "HTTP_X_FORWARDED_FOR": "127.0.0.1",
            "HTTP_ACCEPT": "text/html",
            "wsgi.input": io.BytesIO(),
            "wsgi.errors": sys.stderr,
            "wsgi.url_scheme": "https",
            "wsgi.version": (1, 0),
            "wsgi.multithread": False,
            "wsgi.multiprocess": True,
            "wsgi.run_once": False,
        }
        status = []
        response = self.handler(environ, lambda s, headers, exc_info=None: status.append(s))
        try:
            body = b"".join(response)
        finally:
            response.close()
        return status[0], body


def checked(client: WsgiClient, url: str) -> Callable[[], bytes]:
    def get() -> bytes:
        status, body = client.get(url)
        if not status.startswith("200"):
            raise RuntimeError(f"{url} answered {status}")
        return body

    return get


def cpu_samples(get: Callable[[], object], repeat: int, warmup: int = 2) -> tuple[list, list]:
    """(CPU ms, wall ms) of ``repeat`` calls after ``warmup``."""
    for _ in range(warmup):
        get()
    cpu, wall = [], []
    for _ in range(repeat):
        cpu0, wall0 = time.process_time(), time.perf_counter()
        get()
        cpu.append((time.process_time() - cpu0) * 1000)
        wall.append((time.perf_counter() - wall0) * 1000)
    return cpu, wall


def area(filename: str) -> str:
    return next(name for name, parts in AREAS if any(p in filename for p in parts))


def profile(gets: list[Callable[[], object]], repeat: int, path: Path) -> str:
    """Profile ``repeat`` rounds of ``gets`` (warmed up); write the pstats to ``path`` and
    return a summary: own time by area, then the top functions."""
    for get in gets:
        get()
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(repeat):
        for get in gets:
            get()
    profiler.disable()
    profiler.dump_stats(path)
    stats = pstats.Stats(profiler)
    requests = repeat * len(gets)
    by_area: dict[str, float] = defaultdict(float)
    for (filename, _line, _name), (_cc, _nc, own, _cum, _callers) in stats.stats.items():
        by_area[area(filename)] += own
    total = sum(by_area.values())
    lines = [f"own time per request by area ({requests} requests, under cProfile):"]
    for name, seconds in sorted(by_area.items(), key=lambda item: -item[1]):
        lines.append(
            f"  {name:<20} {seconds * 1000 / requests:6.2f} ms  {100 * seconds / total:5.1f} %"
        )
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(40)
    pstats.Stats(profiler, stream=out).sort_stats("tottime").print_stats(30)
    return "\n".join(lines) + "\n" + out.getvalue()
