"""The nightly upkeep, a background task that queues its next run for the next midnight
(UTC) when it ends, so that one worker keeps it going; ``ensure_scheduled`` starts the chain
(``manage.py resume_mass_actions``, which ``make run`` runs before the worker):

- the purge of the private data of customers deleted longer ago than the retention, which
  the Deleted page promises (mycustomers.services.purge_deleted);
- the refresh of every performer's insights (contacts.rhythm);
- forgetting workers gone for a week (mycustomers.workers).

``refresh_performer`` refreshes one performer in the background (a large one who changed
their time zone)."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, time, timedelta

from django.utils import timezone
from django_tasks import TaskResultStatus, task
from django_tasks_db.models import DBTaskResult

from contacts import rhythm
from mycustomers import services, workers
from mycustomers.models import Performer

logger = logging.getLogger(__name__)


@task()
def refresh_every_performer() -> None:
    try:
        services.purge_deleted()
        for performer in Performer.objects.order_by("pk").iterator():
            rhythm.refresh(performer)
        workers.forget_old()
    finally:
        # Not a second chain: a run taken again after its worker was lost
        # (mycustomers.workers) may find the next one queued already.
        ensure_scheduled()


@task()
def refresh_performer(performer_id: int) -> None:
    """One performer's insights now (``mycustomers.account``: their time zone changed)."""
    performer = Performer.objects.filter(pk=performer_id).first()
    if performer is not None:
        rhythm.refresh(performer)


def next_midnight(now: datetime | None = None) -> datetime:
    now = now or timezone.now()
    return datetime.combine(now.astimezone(UTC).date() + timedelta(days=1), time.min, UTC)


def schedule_next() -> None:
    refresh_every_performer.using(run_after=next_midnight()).enqueue()


def ensure_scheduled() -> bool:
    """Queue the next refresh unless one is queued already (or the task backend cannot
    wait until a given time); returns whether it queued one."""
    if not refresh_every_performer.get_backend().supports_defer:
        return False
    path = refresh_every_performer.module_path
    if DBTaskResult.objects.filter(task_path=path, status=TaskResultStatus.READY).exists():
        return False
    schedule_next()
    return True
