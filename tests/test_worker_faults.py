"""Fault tests of the background worker, on real processes and a throw-away PostgreSQL
cluster of their own (the suite's cluster is never restarted): the database restarted or its
connections terminated under a running mass action, and a worker killed in the middle of
one. Each time the action completes exactly once, with the right counts, and no task is
left marked running."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import psycopg
import pytest

from mycustomers.devtools.pgcluster import Cluster
from mycustomers.settings import local_cluster

ROOT = Path(__file__).resolve().parent.parent
CUSTOMERS = 20  # 10 chunks of 2 (tests/fault_settings.py)
HELD = 7  # the customer whose row the test locks: the worker stops inside chunk 4
WAIT = 120.0  # seconds, for a loaded machine

SEED = """
from mycustomers import jobs
from mycustomers.models import Customer, MassAction
from tests.factories import PerformerFactory, make_customer
performer = PerformerFactory(username={name!r})
for i in range({count}):
    make_customer(performer, f"{name}-{{i:03}}")
customers = Customer.objects.filter(performer=performer)
print(jobs.start(performer=performer, kind=MassAction.Kind.BLOCK, customers=customers).pk)
"""


@pytest.fixture(scope="module")
def cluster() -> Iterator[Cluster]:
    base = local_cluster.var_dir() / f"fault-tests-{os.getpid()}"
    cluster = Cluster(base=base)
    cluster.start()
    try:
        manage("migrate", "--noinput", "-v0", url=cluster.url)
        yield cluster
    finally:
        cluster.stop()
        shutil.rmtree(base, ignore_errors=True)


def environment(url: str) -> dict[str, str]:
    return {**os.environ, "DATABASE_URL": url, "DJANGO_SETTINGS_MODULE": "tests.fault_settings"}


def manage(*args: str, url: str) -> str:
    result = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=environment(url),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


class Worker:
    def __init__(self, cluster: Cluster, worker_id: str, log_dir: Path):
        self.worker_id = worker_id
        self.log = log_dir / f"{worker_id}.log"
        self.process = subprocess.Popen(
            [sys.executable, "manage.py", "run_worker", "--interval", "0.1", "--max-pause", "1",
             "--worker-id", worker_id],
            cwd=ROOT,
            env=environment(cluster.url),
            stdout=self.log.open("w"),
            stderr=subprocess.STDOUT,
        )  # fmt: skip

    def output(self) -> str:
        return self.log.read_text()

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            self.process.wait(timeout=60)


@pytest.fixture
def start_worker(cluster, tmp_path) -> Iterator[Callable[[str], Worker]]:
    started: list[Worker] = []

    def start(worker_id: str) -> Worker:
        started.append(Worker(cluster, worker_id, tmp_path))
        return started[-1]

    yield start
    for worker in started:
        if worker.process.poll() is None:
            worker.process.kill()
            worker.process.wait()


def connect(cluster: Cluster) -> psycopg.Connection:
    return psycopg.connect(cluster.url, autocommit=True)


def wait_for(condition: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + WAIT
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.2)


def query(cluster: Cluster, sql: str, *params) -> list[tuple]:
    try:
        with connect(cluster) as conn:
            return conn.execute(sql, params).fetchall()
    except psycopg.OperationalError:
        return []  # the server is restarting


def seed(cluster: Cluster, name: str) -> int:
    return int(
        manage("shell", "-v0", "-c", SEED.format(name=name, count=CUSTOMERS), url=cluster.url)
    )


def hold_a_customer(cluster: Cluster, name: str) -> psycopg.Connection:
    """Lock one customer's row until the connection ends: the action's chunk holding it
    waits in the middle of its transaction (its lists already changed, its customers not)."""
    holder = psycopg.connect(cluster.url)
    holder.execute(
        "SELECT 1 FROM mycustomers_customer WHERE member_name = %s FOR UPDATE",
        [f"{name}-{HELD - 1:03}"],
    )
    return holder


def worker_waits_on_the_lock(cluster: Cluster) -> bool:
    return bool(query(cluster, "SELECT 1 FROM pg_stat_activity WHERE wait_event_type = 'Lock'"))


def mid_chunk(cluster: Cluster, start_worker, name: str) -> tuple[int, psycopg.Connection, Worker]:
    """A running action of ``name``'s customers, its worker waiting inside chunk 4 for the
    customer the returned connection holds."""
    action_id = seed(cluster, name)
    holder = hold_a_customer(cluster, name)
    worker = start_worker(f"w-{name}")
    wait_for(lambda: worker_waits_on_the_lock(cluster), "the worker to reach the held customer")
    assert progress(cluster, action_id)[:2] == ("running", HELD - 1)
    return action_id, holder, worker


def progress(cluster: Cluster, action_id: int) -> tuple | None:
    rows = query(
        cluster,
        "SELECT state, processed, changed, total FROM mycustomers_massaction WHERE id = %s",
        action_id,
    )
    return rows[0] if rows else None


def finished(cluster: Cluster, action_id: int) -> bool:
    found = progress(cluster, action_id)
    return found is not None and found[0] != "running"


def assert_done_exactly_once(cluster: Cluster, action_id: int, name: str) -> list[str]:
    """The action is done over every customer once; returns the workers that ran its task."""
    assert progress(cluster, action_id) == ("done", CUSTOMERS, CUSTOMERS, CUSTOMERS)
    blocked = query(
        cluster,
        "SELECT count(*) FROM mycustomers_customer WHERE member_name LIKE %s "
        "AND status = 'blocked'",
        f"{name}-%",
    )
    assert blocked == [(CUSTOMERS,)]
    logged = query(
        cluster,
        # Each customer's history: their own entries and the shared ones (a chunk's).
        "SELECT count(*), count(DISTINCT h.customer_id) FROM ("
        "  SELECT customer_id FROM contacts_activity WHERE verb = 'blocked'"
        "  UNION ALL SELECT link.customer_id FROM contacts_activitycustomer link"
        "  JOIN contacts_activity a ON a.id = link.activity_id WHERE a.verb = 'blocked'"
        ") h JOIN mycustomers_customer c ON c.id = h.customer_id WHERE c.member_name LIKE %s",
        f"{name}-%",
    )
    assert logged == [(CUSTOMERS, CUSTOMERS)]  # one entry in each history: no chunk twice
    assert query(
        cluster, "SELECT count(*) FROM django_tasks_database_dbtaskresult WHERE status = 'RUNNING'"
    ) == [(0,)]
    tasks = query(
        cluster,
        "SELECT status, worker_ids FROM django_tasks_database_dbtaskresult "
        "WHERE args_kwargs -> 'args' = %s::jsonb",
        f"[{action_id}]",
    )
    assert len(tasks) == 1, tasks  # never queued twice
    status, worker_ids = tasks[0]
    assert status == "SUCCESSFUL"
    return worker_ids


def terminate_every_connection(cluster: Cluster, holder: psycopg.Connection) -> None:
    with connect(cluster) as conn:
        conn.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE backend_type = 'client backend' AND pid <> pg_backend_pid()"
        )


def restart(cluster: Cluster, holder: psycopg.Connection) -> None:
    cluster.stop()
    time.sleep(2)  # the worker finds no server for a while
    cluster.start()


@pytest.mark.parametrize("fault", [restart, terminate_every_connection])
def test_an_action_survives_the_database_going_away_mid_chunk(cluster, start_worker, fault):
    name = fault.__name__.replace("_", "-")
    action_id, holder, worker = mid_chunk(cluster, start_worker, name)

    fault(cluster, holder)
    holder.close()
    wait_for(lambda: finished(cluster, action_id), "the action to finish")

    assert assert_done_exactly_once(cluster, action_id, name) == [worker.worker_id] * 2
    assert worker.process.poll() is None, worker.output()  # still running, on a new connection
    assert "Database connection lost" in worker.output()
    worker.stop()
    assert query(
        cluster, "SELECT stopped_at IS NOT NULL FROM mycustomers_workerbeat WHERE worker_id = %s",
        worker.worker_id,
    ) == [(True,)]  # fmt: skip


def test_a_killed_workers_action_is_resumed_once_by_another(cluster, start_worker):
    name = "killed"
    action_id, holder, killed = mid_chunk(cluster, start_worker, name)
    killed.process.kill()
    killed.process.wait()
    holder.close()  # the killed worker's transaction then ends, rolled back

    others = [start_worker("w-other-1"), start_worker("w-other-2")]  # both may take it over
    wait_for(lambda: finished(cluster, action_id), "another worker to finish the action")

    first, second = assert_done_exactly_once(cluster, action_id, name)
    assert first == killed.worker_id
    assert second in {w.worker_id for w in others}
    assert sum("lost its worker" in w.output() for w in others) == 1


def test_a_worker_stopped_mid_chunk_leaves_its_action_to_the_next(cluster, start_worker):
    name = "stopped"
    action_id, holder, stopped = mid_chunk(cluster, start_worker, name)
    # Ctrl-C in `make run` reaches the worker twice (the terminal's, the recipe's trap):
    # the second stops it in the middle of its task.
    stopped.process.send_signal(signal.SIGINT)
    time.sleep(0.5)
    stopped.process.send_signal(signal.SIGTERM)
    assert stopped.process.wait(timeout=60) != 0, stopped.output()
    holder.close()

    after = start_worker("w-after")
    wait_for(lambda: finished(cluster, action_id), "the next worker to finish the action")

    assert assert_done_exactly_once(cluster, action_id, name) == [
        stopped.worker_id,
        after.worker_id,
    ]
