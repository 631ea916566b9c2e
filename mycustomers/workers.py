"""Background workers that outlive a database restart, and work that outlives its worker.

A worker (``manage.py run_worker``: django-tasks-db's worker loop, mycustomers.worker_loop)
says it is alive every few seconds in a ``WorkerBeat`` row, from a thread and connection of
its own, so that a long task does not make it look gone. On each beat it also hands back
work that nobody runs any more:

- a task still marked running whose worker has not been seen for ``WORKER_LEASE_SECONDS``
  (killed, its machine gone), or stopped, goes back to the queue;
- a mass action still running that has no task at all is queued again
  (``jobs.resume_unfinished``).

Each hand-back is one conditional UPDATE of rows locked with SKIP LOCKED, so however many
workers look at once, exactly one takes each. A task run again is safe: a mass action goes
on from its last committed chunk (mycustomers.jobs) and the daily refresh is recomputed.
"""

from __future__ import annotations

import logging
import os
import socket
from datetime import timedelta

from django.conf import settings
from django.db import connection, transaction
from django.db.models.functions import Now
from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from mycustomers import jobs
from mycustomers.models import WorkerBeat

logger = logging.getLogger(__name__)


def lease() -> timedelta:
    """How long a worker may stay silent before its running tasks are given to another."""
    return timedelta(seconds=settings.MYCUSTOMERS["WORKER_LEASE_SECONDS"])


def beat_interval() -> float:
    """Seconds between beats: several within a lease, so one late beat loses nothing."""
    return min(10.0, lease().total_seconds() / 4)


def beat(worker_id: str) -> None:
    """Say that ``worker_id`` is alive (the database's clock: workers' clocks may differ)."""
    WorkerBeat.objects.update_or_create(
        worker_id=worker_id,
        defaults={"seen_at": Now(), "stopped_at": None},
        create_defaults={
            "host": socket.gethostname()[:255],
            "pid": os.getpid(),
            "started_at": Now(),
            "seen_at": Now(),
        },
    )


def stopped(worker_id: str) -> None:
    """A worker stopping cleanly: whatever it leaves running can be taken at once."""
    WorkerBeat.objects.filter(worker_id=worker_id).update(stopped_at=Now())


# Tasks running under a worker that is gone (or under ``own``: a worker taking back what it
# was running when its connection broke). The last worker id is the one that claimed it.
RECLAIM_SQL = """
UPDATE {tasks} SET status = %(ready)s, started_at = NULL
WHERE status = %(running)s AND id IN (
    SELECT t.id FROM {tasks} t
    WHERE t.status = %(running)s
      AND (t.worker_ids ->> -1 = %(own)s OR NOT EXISTS (
          SELECT 1 FROM {beats} b
          WHERE b.worker_id = t.worker_ids ->> -1
            AND b.stopped_at IS NULL
            AND b.seen_at > now() - %(lease)s))
    FOR UPDATE SKIP LOCKED)
RETURNING id, task_path
"""


def reclaim(*, own: str = "") -> int:
    """Hand back to the queue the tasks of workers that are gone, and those of ``own``;
    queue again the mass actions no task runs. Returns how many were handed back."""
    query = RECLAIM_SQL.format(tasks=DBTaskResult._meta.db_table, beats=WorkerBeat._meta.db_table)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            query,
            {
                "ready": TaskResultStatus.READY,
                "running": TaskResultStatus.RUNNING,
                "own": own,
                "lease": lease(),
            },
        )
        handed_back = cursor.fetchall()
    for task_id, path in handed_back:
        logger.warning("Task %s (%s) lost its worker: queued again", task_id, path)
    resumed = jobs.resume_unfinished()
    if resumed:
        logger.warning("Queued again %s mass action(s) that no task was running", resumed)
    return len(handed_back) + resumed


def forget_old(days: int = 7) -> int:
    """Drop the beats of workers gone for ``days`` (one row per worker ever started; the
    nightly upkeep, mycustomers.daily_refresh)."""
    cutoff = Now() - timedelta(days=days)
    deleted, _ = WorkerBeat.objects.filter(seen_at__lt=cutoff).delete()
    return deleted
