"""The server-error page, and a page of its own for a database that does not answer."""

from __future__ import annotations

import sys

from django.db import OperationalError
from django.http import HttpResponse
from django.template import loader
from django.views import defaults

RETRY_AFTER_SECONDS = 30


def server_error(request) -> HttpResponse:
    """handler500. A database that cannot answer (down, restarting, out of connections, a
    query cancelled) is a 503 asking to retry, rendered without touching the database (no
    request context: no session, no user); anything else is the usual 500."""
    if isinstance(sys.exc_info()[1], OperationalError):
        return database_unavailable()
    return defaults.server_error(request)


def database_unavailable() -> HttpResponse:
    """The 503 page asking to retry, rendered without touching the database."""
    response = HttpResponse(loader.render_to_string("503.html"), status=503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response
