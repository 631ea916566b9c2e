"""manage.py run_worker: the background worker, kept alive through database restarts.

django-tasks-db's ``db_worker`` exits when the database goes away, leaving the task it ran
marked running for ever. This one closes its connections, waits (0.5 s, doubling up to
``--max-pause``, with jitter) and goes on once the database answers; the task it was in is
taken again (a mass action from its last committed chunk). Beside its loop a thread says
every few seconds that the worker is alive and hands back the work of workers that are gone
(mycustomers.workers).
"""

from __future__ import annotations

import logging
import random
import threading
import time

from django.core.management.base import BaseCommand, CommandParser
from django.db import connections
from django.utils.crypto import get_random_string
from django_tasks_db.compat import DEFAULT_TASK_BACKEND_ALIAS, DEFAULT_TASK_QUEUE_NAME
from django_tasks_db.management.commands import db_worker

from mycustomers import workers
from mycustomers.database import connection_lost

logger = logging.getLogger("mycustomers.workers")


class TaskInterrupted(Exception):
    """The running task was cut short (the database went away, the worker was stopped): it
    stays marked running, to be taken again, rather than failed."""


class Worker(db_worker.Worker):
    def run_task(self, db_task_result) -> None:
        set_failed = db_task_result.set_failed

        def set_failed_unless_interrupted(error: BaseException) -> None:
            if isinstance(error, Exception) and not connection_lost(error):
                set_failed(error)  # the task's own error: it fails, with its reason
            elif isinstance(error, Exception):
                raise TaskInterrupted(str(error)) from error
            else:
                raise error  # SystemExit, KeyboardInterrupt: the worker stops

        db_task_result.set_failed = set_failed_unless_interrupted
        super().run_task(db_task_result)


class Pause:
    """The wait before the next try, doubling from ``first`` up to ``longest``."""

    def __init__(self, first: float = 0.5, longest: float = 30.0):
        self.first, self.longest, self.next = first, longest, first

    def take(self) -> float:
        wait = self.next * random.uniform(0.8, 1.2)
        self.next = min(self.next * 2, self.longest)
        return wait

    def reset(self) -> None:
        self.next = self.first


class Heartbeat(threading.Thread):
    """Every ``workers.beat_interval()``: the worker is alive; work of workers gone goes
    back to the queue. Its own connection (Django's are per thread)."""

    def __init__(self, worker_id: str):
        super().__init__(name="heartbeat", daemon=True)
        self.worker_id = worker_id
        self.halt = threading.Event()

    def run(self) -> None:
        while not self.halt.is_set():
            try:
                workers.beat(self.worker_id)
                workers.reclaim(me=self.worker_id)
            except Exception as error:  # the database away: next time, on a new connection
                if not connection_lost(error):
                    logger.exception("Heartbeat of worker %s failed", self.worker_id)
                connections.close_all()
            self.halt.wait(workers.beat_interval())
        connections.close_all()


class Command(BaseCommand):
    help = (
        "Run the background worker (mass actions, the daily refresh). It survives database "
        "restarts, and takes over the work of workers that are gone."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--queue-name", default=DEFAULT_TASK_QUEUE_NAME)
        parser.add_argument(
            "--interval", type=float, default=1.0, help="seconds between looks at the queue"
        )
        parser.add_argument(
            "--max-pause",
            type=float,
            default=30.0,
            help="longest wait between tries to reach the database (seconds)",
        )
        parser.add_argument("--worker-id", default="", help="default: a random one")

    def handle(self, *args, queue_name, interval, max_pause, worker_id, **options) -> None:
        # The same task log as db_worker's ("Task id=… state=SUCCESSFUL"), by verbosity.
        db_worker.Command(stdout=self.stdout, stderr=self.stderr).configure_logging(
            options["verbosity"]
        )
        worker_id = worker_id or get_random_string(32)
        worker = Worker(
            queue_names=queue_name.split(","),
            interval=interval,
            batch=False,
            backend_name=DEFAULT_TASK_BACKEND_ALIAS,
            startup_delay=False,
            max_tasks=None,
            worker_id=worker_id,
            excluded_queue_names=[],
        )
        worker.configure_signals()
        heartbeat = Heartbeat(worker_id)
        heartbeat.start()
        self.stdout.write(f"Worker {worker_id} started.")
        try:
            self.keep_running(worker, worker_id, Pause(longest=max_pause))
        finally:
            heartbeat.halt.set()
            connections.close_all()  # a stop may have cut a query short
            try:
                workers.stopped(worker_id)
            except Exception:  # the database away: its lease runs out instead
                logger.warning("Could not record that worker %s stopped", worker_id)

    def keep_running(self, worker: Worker, worker_id: str, pause: Pause) -> None:
        lost = False
        while worker.running:
            try:
                # What this worker was running when its connection broke is its own to take
                # again; and the database answers: the pause starts short again.
                workers.beat(worker_id)
                workers.reclaim(own=worker_id)
                if lost:
                    self.stdout.write("Database connection back: going on.")
                    lost = False
                pause.reset()
                worker.run()
            except Exception as error:
                if not (isinstance(error, TaskInterrupted) or connection_lost(error)):
                    raise
                wait = pause.take()
                self.stderr.write(
                    f"Database connection lost ({str(error).strip() or type(error).__name__}); "
                    f"trying again in {wait:.1f} s."
                )
                lost = True
                connections.close_all()
                time.sleep(wait)
