"""Work whose worker is gone goes back to the queue exactly once (mycustomers.workers); a lost
connection is told from the task's own error (mycustomers.database)."""

from __future__ import annotations

import os
import socket
import subprocess
from datetime import timedelta

import psycopg
import pytest
from django.db import DatabaseError, InterfaceError, OperationalError
from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from mycustomers import jobs, workers
from mycustomers.database import connection_lost
from mycustomers.management.commands.run_worker import Pause
from mycustomers.models import Customer, MassAction, WorkerBeat
from tests.factories import make_customer, worker_seen

pytestmark = pytest.mark.django_db
DATABASE_QUEUE = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}


@pytest.fixture(autouse=True)
def database_queue(settings):
    settings.TASKS = DATABASE_QUEUE


@pytest.fixture
def action(owner):
    for name in ("Anna", "Bob", "Cleo"):
        make_customer(owner, name)
    return jobs.start(performer=owner, kind=MassAction.Kind.BLOCK, customers=Customer.objects.all())


def task_of(action: MassAction) -> DBTaskResult:
    return DBTaskResult.objects.get(args_kwargs__args=[action.pk])


def claimed_by(action: MassAction, worker_id: str) -> DBTaskResult:
    task = task_of(action)
    task.claim(worker_id)
    return task


@pytest.mark.parametrize(
    "beat",
    [
        {"ago": timedelta(minutes=2)},  # killed: silent for longer than the lease
        {"ago": timedelta(seconds=5), "stopped": True},  # stopped, leaving its task
        None,  # never said a word (a plain db_worker, long gone)
    ],
)
def test_the_task_of_a_worker_gone_is_queued_again_once(action, beat):
    if beat is not None:
        worker_seen("w1", **beat)
    task = claimed_by(action, "w1")

    assert workers.reclaim() == 1
    task.refresh_from_db()
    assert task.status == TaskResultStatus.READY
    assert task.worker_ids == ["w1"]
    assert workers.reclaim() == 0
    assert DBTaskResult.objects.count() == 1


def test_the_task_of_a_live_worker_is_left_alone(action):
    worker_seen("w1", timedelta(seconds=5))
    task = claimed_by(action, "w1")

    assert workers.reclaim() == 0
    task.refresh_from_db()
    assert task.status == TaskResultStatus.RUNNING


def test_a_worker_back_on_the_database_takes_back_its_own_task(action):
    worker_seen("w1", timedelta(seconds=1))
    task = claimed_by(action, "w1")

    assert workers.reclaim(own="w1") == 1
    task.refresh_from_db()
    assert task.status == TaskResultStatus.READY


@pytest.fixture
def dead_pid() -> int:
    """The pid of a process that has ended (and been reaped)."""
    process = subprocess.Popen(["true"])
    process.wait()
    return process.pid


@pytest.fixture
def live_pid():
    process = subprocess.Popen(["sleep", "60"])
    yield process.pid
    process.kill()
    process.wait()


THIS_HOST = socket.gethostname()


def test_the_task_of_a_dead_process_of_this_host_is_queued_again_at_once(action, dead_pid):
    worker_seen("w1", timedelta(seconds=1), host=THIS_HOST, pid=dead_pid)
    task = claimed_by(action, "w1")

    assert workers.reclaim(me="w2") == 1
    task.refresh_from_db()
    assert task.status == TaskResultStatus.READY
    assert workers.reclaim(me="w2") == 0


@pytest.mark.parametrize("me", ["w2", ""])  # a worker's heartbeat, resume_mass_actions
def test_the_task_of_a_live_process_of_this_host_is_left_alone(action, live_pid, me):
    worker_seen("w1", timedelta(seconds=1), host=THIS_HOST, pid=live_pid)
    task = claimed_by(action, "w1")

    assert workers.reclaim(me=me) == 0
    task.refresh_from_db()
    assert task.status == TaskResultStatus.RUNNING


def test_a_dead_pid_of_another_host_waits_out_the_lease(action, dead_pid):
    worker_seen("w1", timedelta(seconds=1), host="elsewhere", pid=dead_pid)
    task = claimed_by(action, "w1")

    assert workers.reclaim(me="w2") == 0
    task.refresh_from_db()
    assert task.status == TaskResultStatus.RUNNING


def test_a_worker_restarted_with_its_predecessors_pid_takes_its_task_at_once(action):
    # A restarted container runs its worker under the same pid: the old beat names this process.
    worker_seen("w1", timedelta(seconds=1), host=THIS_HOST, pid=os.getpid())
    task = claimed_by(action, "w1")

    assert workers.reclaim(me="w1") == 0  # w1 itself, alive
    assert workers.reclaim() == 0  # not a worker: w1 may be this process
    assert workers.reclaim(me="w2") == 1
    task.refresh_from_db()
    assert task.status == TaskResultStatus.READY


def test_a_worker_restarted_under_the_same_id_is_not_taken_for_its_predecessor(action, dead_pid):
    worker_seen("w1", timedelta(seconds=1), host=THIS_HOST, pid=dead_pid)
    task = claimed_by(action, "w1")
    workers.beat("w1")  # the new process, under --worker-id w1

    assert WorkerBeat.objects.get().pid == os.getpid()
    assert workers.reclaim() == 0
    task.refresh_from_db()
    assert task.status == TaskResultStatus.RUNNING


def test_an_action_with_no_task_is_queued_again_once(action):
    task = claimed_by(action, "w1")
    task.set_failed(OperationalError("the server went away"))  # as a plain db_worker does
    assert (task.status, action.state) == (TaskResultStatus.FAILED, "running")

    assert workers.reclaim() == 1
    assert workers.reclaim() == 0
    ready = DBTaskResult.objects.filter(status=TaskResultStatus.READY)
    assert list(ready.values_list("args_kwargs", flat=True)) == [
        {"args": [action.pk], "kwargs": {}}
    ]


def test_finished_actions_are_never_queued_again(action):
    task = claimed_by(action, "w1")
    jobs.run_mass_action.call(action.pk)
    task.set_successful(None)

    assert workers.reclaim() == 0


def test_a_beat_says_the_worker_is_alive_and_a_stop_that_it_is_not(action):
    workers.beat("w1")
    workers.beat("w1")
    beat = WorkerBeat.objects.get()
    assert (beat.worker_id, beat.stopped_at) == ("w1", None)
    claimed_by(action, "w1")
    assert workers.reclaim() == 0

    workers.stopped("w1")
    assert workers.reclaim() == 1


def server_error(sqlstate: str) -> OperationalError:
    error = OperationalError("from the server")
    error.__cause__ = psycopg.errors.lookup(sqlstate)("from the server")
    return error


@pytest.mark.parametrize(
    "error, lost",
    [
        (server_error("57P01"), True),  # admin_shutdown: a restart, pg_terminate_backend
        (server_error("57P03"), True),  # cannot_connect_now: starting up
        (server_error("08006"), True),  # connection_failure
        (OperationalError("connection refused"), True),  # no SQLSTATE: the client's own
        (InterfaceError("connection already closed"), True),
        (server_error("57014"), False),  # statement timeout: the work's own error
        (server_error("40P01"), False),  # deadlock
        (DatabaseError("injected"), False),
        (ValueError("bad"), False),
    ],
)
def test_a_lost_connection_is_told_from_an_error_of_the_work(error, lost):
    assert connection_lost(error) is lost


def test_a_chunk_cut_short_by_the_database_leaves_the_action_running(action, monkeypatch):
    def gone(*args, **kwargs):
        raise server_error("57P01")

    monkeypatch.setitem(jobs.APPLY, MassAction.Kind.BLOCK, gone)
    with pytest.raises(OperationalError):
        jobs.apply_next_chunk(action.pk)
    action.refresh_from_db()
    assert (action.state, action.processed, action.error) == ("running", 0, "")


def test_the_pause_between_tries_doubles_up_to_the_longest_and_starts_again():
    pause = Pause(first=1, longest=8)
    waits = [pause.take() for _ in range(6)]
    for wait, expected in zip(waits, [1, 2, 4, 8, 8, 8], strict=True):
        assert 0.8 * expected <= wait <= 1.2 * expected  # give or take a jitter
    pause.reset()
    assert 0.8 <= pause.take() <= 1.2


def test_workers_gone_for_a_week_are_forgotten():
    worker_seen("old", timedelta(days=8), stopped=True)
    worker_seen("killed", timedelta(days=8))
    worker_seen("recent", timedelta(days=6), stopped=True)

    assert workers.forget_old() == 2
    assert list(WorkerBeat.objects.values_list("worker_id", flat=True)) == ["recent"]
