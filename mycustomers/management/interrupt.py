"""Management commands stopped with Ctrl-C (SIGINT) or SIGTERM cancel their running query.

Without this, SIGTERM ends the process at once and the server runs the command's query on
(minutes, with its locks) until it tries to send the result to a client that is gone.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from django.core.management.base import CommandError
from django.db import connection

SIGNALS = (signal.SIGINT, signal.SIGTERM)


class _Signalled(KeyboardInterrupt):
    """Raised by the signal handler. A KeyboardInterrupt, so that psycopg, interrupted while
    waiting for the server, also waits for the cancelled query's answer and leaves the
    connection ready for the rollback."""

    def __init__(self, signum: int):
        super().__init__(signum)
        self.signum = signum


class Interrupted(CommandError):
    """The command was stopped by a signal; ``returncode`` is 128 + the signal's number."""


@contextmanager
def cancelling_on_interrupt() -> Iterator[None]:
    """Within the block, SIGINT and SIGTERM cancel the query the server is running for this
    process's connection, roll back the open transaction and end the command with
    ``Interrupted``."""
    if threading.current_thread() is not threading.main_thread():
        yield  # only the main thread can handle signals
        return

    def cancel(signum, frame):
        raw = connection.connection
        if raw is not None and not raw.closed:
            raw.cancel_safe(timeout=5.0)
        raise _Signalled(signum)

    previous = {signum: signal.signal(signum, cancel) for signum in SIGNALS}
    try:
        yield
    except _Signalled as exc:
        name = signal.Signals(exc.signum).name
        raise Interrupted(
            f"{name} received: the running query was cancelled, its transaction rolled back.",
            returncode=128 + exc.signum,
        ) from None
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
