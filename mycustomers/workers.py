"""Background workers that outlive a database restart, and work that outlives its worker.

A worker (``manage.py run_worker``: django-tasks-db's worker loop, mycustomers.worker_loop)
says it is alive every few seconds in a ``WorkerBeat`` row, from a thread and connection of
its own, so that a long task does not make it look gone. On each beat it also hands back
work that nobody runs any more:

- a task still marked running whose worker has not been seen for ``WORKER_LEASE_SECONDS``
  (killed, its machine gone), or stopped, goes back to the queue; so does, at once, one whose
  worker ran on this host under a process that no longer exists (a worker restarted after a
  crash need not wait out its predecessor's lease);
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


def here() -> dict:
    return {"host": socket.gethostname()[:255], "pid": os.getpid()}


def beat(worker_id: str) -> None:
    """Say that ``worker_id`` is alive (the database's clock: workers' clocks may differ)."""
    WorkerBeat.objects.update_or_create(
        worker_id=worker_id,
        # The host and pid too: a worker restarted under the same --worker-id is another
        # process (mycustomers.workers.dead_on_this_host reads them).
        defaults={"seen_at": Now(), "stopped_at": None, **here()},
        create_defaults={"started_at": Now(), "seen_at": Now(), **here()},
    )


def stopped(worker_id: str) -> None:
    """A worker stopping cleanly: whatever it leaves running can be taken at once."""
    WorkerBeat.objects.filter(worker_id=worker_id).update(stopped_at=Now())


# Tasks running under a worker that is gone: silent past the lease, stopped, or named in
# ``gone`` (``own``: a worker taking back what it was running when its connection broke; and
# the workers of this host whose process is dead). The last worker id is the one that claimed
# the task.
RECLAIM_SQL = """
UPDATE {tasks} SET status = %(ready)s, started_at = NULL
WHERE status = %(running)s AND id IN (
    SELECT t.id FROM {tasks} t
    WHERE t.status = %(running)s
      AND (t.worker_ids ->> -1 = ANY(%(gone)s) OR NOT EXISTS (
          SELECT 1 FROM {beats} b
          WHERE b.worker_id = t.worker_ids ->> -1
            AND b.stopped_at IS NULL
            AND b.seen_at > now() - %(lease)s))
    FOR UPDATE SKIP LOCKED)
RETURNING id, task_path
"""


def process_exists(pid: int) -> bool:
    """Whether a process ``pid`` runs on this host (signal 0 checks without sending)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process: it exists
        return True
    return True


def dead_on_this_host(me: str) -> list[str]:
    """The workers within their lease whose beat says they ran on this host, under a process
    that is gone, or under this process while it is worker ``me`` (a restarted container
    gives its worker the same pid again). Host names are taken to name one process space.
    A pid reused since by another process makes a dead worker look alive: its tasks then
    wait out the lease, as those of a worker of another host do."""
    beats = WorkerBeat.objects.filter(
        host=socket.gethostname()[:255],
        pid__gt=0,
        stopped_at__isnull=True,
        seen_at__gt=Now() - lease(),
    ).exclude(worker_id=me)
    return [
        worker_id
        for worker_id, pid in beats.values_list("worker_id", "pid")
        if (me and pid == os.getpid()) or not process_exists(pid)
    ]


def reclaim(*, own: str = "", me: str = "") -> int:
    """Hand back to the queue the tasks of workers that are gone, and those of ``own``;
    queue again the mass actions no task runs. Returns how many were handed back.
    ``me``: the worker this process runs (``own`` is one too), if any."""
    query = RECLAIM_SQL.format(tasks=DBTaskResult._meta.db_table, beats=WorkerBeat._meta.db_table)
    gone = [own, *dead_on_this_host(own or me)]
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            query,
            {
                "ready": TaskResultStatus.READY,
                "running": TaskResultStatus.RUNNING,
                "gone": gone,
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
