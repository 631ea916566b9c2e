"""Commands stopped with Ctrl-C or SIGTERM cancel the query the server runs for them."""

from __future__ import annotations

import os
import signal
import threading
import time
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection, transaction

from mycustomers.management.interrupt import Interrupted, cancelling_on_interrupt

pytestmark = pytest.mark.django_db

SLEEP = "SELECT pg_sleep(60)"


class NotHandled(Exception):
    pass


@pytest.fixture(autouse=True)
def _signals_fail_tests_instead_of_ending_them():
    """A signal nothing handles ends pytest itself; make it fail the test instead."""

    def fail(signum, frame):
        raise NotHandled(signal.Signals(signum).name)

    previous = {s: signal.signal(s, fail) for s in (signal.SIGINT, signal.SIGTERM)}
    yield
    for timer in TIMERS:
        timer.cancel()
        timer.join()
    TIMERS.clear()
    for signum, handler in previous.items():
        signal.signal(signum, handler)


TIMERS: list[threading.Timer] = []


def signal_soon(signum: int) -> None:
    timer = threading.Timer(0.5, os.kill, (os.getpid(), signum))
    TIMERS.append(timer)
    timer.start()


def sleeping_queries() -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity "
            "WHERE query = %s AND state = 'active' AND pid <> pg_backend_pid()",
            [SLEEP],
        )
        return cursor.fetchone()[0]


def sleep_in_the_server(*args, **kwargs):
    with connection.cursor() as cursor:
        cursor.execute(SLEEP)


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_a_signal_cancels_the_running_query_and_stops_with_its_status(signum):
    started = time.monotonic()
    signal_soon(signum)

    with pytest.raises(Interrupted) as stopped, cancelling_on_interrupt(), transaction.atomic():
        sleep_in_the_server()

    assert time.monotonic() - started < 10
    assert stopped.value.returncode == 128 + signum
    assert "the running query was cancelled" in str(stopped.value)
    assert sleeping_queries() == 0
    with connection.cursor() as cursor:  # the connection is usable again
        cursor.execute("SELECT 1")


def test_the_previous_signal_handlers_come_back():
    before = signal.getsignal(signal.SIGTERM), signal.getsignal(signal.SIGINT)
    with cancelling_on_interrupt():
        assert signal.getsignal(signal.SIGTERM) not in before
    assert (signal.getsignal(signal.SIGTERM), signal.getsignal(signal.SIGINT)) == before


@pytest.mark.parametrize(
    ("command", "patched", "args"),
    [
        ("reconcile_counters", "contacts.management.commands.reconcile_counters.find_drift", []),
        ("import_events", "contacts.management.commands.import_events.import_file", ["-"]),
        ("purge_deleted", "mycustomers.management.commands.purge_deleted.purge_deleted", []),
    ],
)
def test_long_running_commands_cancel_their_query_on_sigterm(monkeypatch, command, patched, args):
    monkeypatch.setattr(patched, sleep_in_the_server)
    signal_soon(signal.SIGTERM)

    with pytest.raises(Interrupted) as stopped, transaction.atomic():
        call_command(command, *args, stdout=StringIO(), stderr=StringIO())

    assert stopped.value.returncode == 128 + signal.SIGTERM
    assert sleeping_queries() == 0


def test_an_interrupted_import_says_where_to_go_on(monkeypatch, owner, tmp_path):
    from contacts import importing

    record = importing.record_valid_events
    calls = []

    def record_then_sleep(**kwargs):
        calls.append(1)
        return record(**kwargs) if len(calls) == 1 else sleep_in_the_server()

    monkeypatch.setattr(importing, "record_valid_events", record_then_sleep)
    path = tmp_path / "events.csv"
    path.write_text(
        "performer,member,type,occurred_at\n"
        "owner,alice,chat,2025-03-01T10:00:00Z\nowner,bob,chat,2025-03-01T10:00:00Z\n"
    )
    signal_soon(signal.SIGTERM)

    with pytest.raises(Interrupted) as stopped:
        call_command("import_events", str(path), "--batch-size", "1", stdout=StringIO())

    assert str(stopped.value).splitlines()[1:] == [
        "Rows through line 2 were imported; to go on, import again with --from-line 3."
    ]
    assert sleeping_queries() == 0
