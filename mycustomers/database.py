"""What the app needs of its database connection beyond Django: reading times that
PostgreSQL holds but Python cannot, and telling a lost connection from a failed statement.

PostgreSQL keeps timestamps from 4713 BC to AD 294276; Python's datetime only years 1 to 9999.
A row holding such a time (an import made before events were range-checked) would fail every
page that reads it. Such a time reads as the nearest one Python holds instead, and a warning
says so; ``manage.py remove_events --out-of-range`` removes the events.
"""

from __future__ import annotations

import functools
import logging
from datetime import UTC, datetime

from django.db import InterfaceError, OperationalError
from psycopg import DataError
from psycopg.adapt import Loader
from psycopg.postgres import types
from psycopg.pq import Format

log = logging.getLogger(__name__)

# A day inside Python's range: room for any time zone's offset when shown in local time.
EARLIEST = datetime(1, 1, 2, tzinfo=UTC)
LATEST = datetime(9999, 12, 30, tzinfo=UTC)
TIME_TYPES = (types["timestamptz"].oid, types["timestamp"].oid)


def tolerate_unreadable_times(sender, connection, **kwargs) -> None:
    """``connection_created``: wrap the connection's loaders of timestamps (for timestamptz
    Django's, which applies the connection's time zone) in ones that do not fail on such
    times."""
    if connection.vendor != "postgresql":
        return
    adapters = connection.connection.adapters
    for oid in TIME_TYPES:
        adapters.register_loader(oid, _tolerant(adapters.get_loader(oid, Format.TEXT)))


@functools.cache
def _tolerant(loader: type[Loader]) -> type[Loader]:
    class TolerantLoader(Loader):
        # Django compares it to its own to decide whether a cursor needs another loader.
        timezone = getattr(loader, "timezone", None)

        def __init__(self, oid, context=None):
            super().__init__(oid, context)
            self._loader = loader(oid, context)  # psycopg's C loaders cannot be subclassed

        def load(self, data):
            try:
                return self._loader.load(data)
            except DataError:
                text = bytes(data).decode()
                log.warning("A stored time Python cannot hold was read as year 1 or 9999: %s", text)
                # timestamptz: in the connection's time zone (as Django's loader); timestamp: naive.
                return (EARLIEST if text.endswith("BC") else LATEST).replace(tzinfo=self.timezone)

    return TolerantLoader


# SQLSTATEs of a server going away: admin_shutdown (a restart, pg_terminate_backend),
# crash_shutdown, cannot_connect_now (starting or stopping); class 08 is "connection
# exception". A statement timeout (57014) or a deadlock (40P01) is an error of the work.
SERVER_GONE = {"57P01", "57P02", "57P03"}


def connection_lost(error: BaseException) -> bool:
    """Whether ``error`` says the database went away (restart, failover, a terminated or
    refused connection), after which the same work can simply be tried again."""
    if isinstance(error, InterfaceError):
        return True
    if not isinstance(error, OperationalError):
        return False
    sqlstate = getattr(error.__cause__, "sqlstate", None)
    # No SQLSTATE: psycopg's own error of a connection that failed or broke.
    return sqlstate is None or sqlstate.startswith("08") or sqlstate in SERVER_GONE
