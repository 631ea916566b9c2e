"""The background-job engine: the one place that decides whether a mass action or a list
change runs now or in the background, and the task that runs it (SPEC §4).

Changing a hundred thousand customers takes seconds (every changed row rewrites its index
entries; docs/performance.md). Rather than hold the request (and the performer's write lock,
which event recording waits for) that long, ``run`` applies a change to at most
``BACKGROUND_ACTION_MIN`` customers at once, and takes a larger selection as a list of ids
when the performer confirms, for a task (django-tasks, run by ``manage.py run_worker``) that
applies the same service as the small case to ``BACKGROUND_CHUNK`` customers at a time, one
transaction each. The chunk's progress is saved in that transaction, so a chunk is applied
exactly once even if the database goes away or the worker stops and the action is resumed
(by the same worker, another, or ``manage.py resume_mass_actions``: mycustomers.workers);
each chunk re-checks who is eligible (already blocked, deleted meanwhile, ...), as the
one-transaction action would.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Generic, TypeVar

from django.conf import settings
from django.contrib.postgres.expressions import ArraySubquery
from django.db import transaction
from django.db.models import Exists, Func, IntegerField, OuterRef, QuerySet, TextField
from django.db.models.fields.json import KT
from django.db.models.functions import Cast
from django.utils import timezone
from django.utils.timesince import timesince
from django.utils.translation import ngettext
from django_tasks import TaskResultStatus, task
from django_tasks_db.models import DBTaskResult

from contacts.mail import deliver_mail
from lists import services as list_services
from lists.models import CustomerList, list_members
from mycustomers import services
from mycustomers.database import connection_lost
from mycustomers.errors import ActionError
from mycustomers.models import Customer, MassAction, Performer
from mycustomers.selection import Selection, selected

logger = logging.getLogger(__name__)
Kind = MassAction.Kind
# A running worker says it is alive every few seconds (mycustomers.workers): after this long
# without a word from any, the banner of a running action says so.
WORKER_SILENCE = timedelta(minutes=1)


T = TypeVar("T")


@dataclass(frozen=True)
class Outcome(Generic[T]):
    """What ``run`` did: ``result`` of the change applied now, or the ``action`` queued."""

    result: T | None = None
    action: MassAction | None = None

    @property
    def in_background(self) -> bool:
        return self.action is not None


def run(
    *,
    performer: Performer,
    kind: str,
    customers: QuerySet,
    apply: Callable[[], T],
    params: Callable[[], dict] = dict,
    count: int | None = None,
) -> Outcome[T]:
    """Apply a change now (``apply()``), or, over more than ``BACKGROUND_ACTION_MIN``
    customers, queue ``kind`` for them with ``params()`` (the ``MassAction`` fields it needs)."""
    if count is None:
        count = customers.count()
    if count <= settings.MYCUSTOMERS["BACKGROUND_ACTION_MIN"]:
        return Outcome(result=apply())
    with transaction.atomic():
        action = start(performer=performer, kind=kind, customers=customers, **params())
    return Outcome(action=action)


def start(*, performer: Performer, kind: str, customers: QuerySet, **params) -> MassAction:
    """Take the ids of ``customers`` (the performer's) and queue the task that applies
    ``kind`` to them; ``params``: ``mail``, ``list_ids``, ``deleted_at`` or ``detail``, as the
    kind needs.
    The task starts once the caller's transaction commits."""
    ids = customers.filter(performer=performer).order_by("pk").values("pk")
    if kind == Kind.DELETE and not params.get("deleted_at"):
        params["deleted_at"] = timezone.now()  # one time for every chunk: Undo restores by it
    with transaction.atomic():
        action = MassAction.objects.create(performer=performer, kind=kind, **params)
        MassAction.objects.filter(pk=action.pk).update(customer_ids=ArraySubquery(ids))
        MassAction.objects.filter(pk=action.pk).update(
            total=Func("customer_ids", function="cardinality", output_field=IntegerField())
        )
        action.refresh_from_db(fields=["total"])
        run_mass_action.enqueue(action.pk)
    return action


def resume_unfinished() -> int:
    """Queue again every action still running that no task is waiting to run or running
    (its task ended with the database gone, or under a worker that does not hand work back:
    mycustomers.workers hands back the tasks of a worker that is gone). Exactly once, among
    any number of callers: each action is locked first (SKIP LOCKED: a chunk in progress
    holds it, so its action is alive) and queued only if it still has no task."""
    tasks = DBTaskResult.objects.filter(
        task_path=run_mass_action.module_path,
        status__in=[TaskResultStatus.READY, TaskResultStatus.RUNNING],
    ).alias(action_id=KT("args_kwargs__args__0"))  # run_mass_action(action_id)
    its_task = tasks.filter(action_id=Cast(OuterRef("pk"), TextField()))
    orphans = MassAction.objects.filter(state=MassAction.State.RUNNING).exclude(Exists(its_task))
    with transaction.atomic():
        locked = orphans.select_for_update(skip_locked=True).values_list("pk", flat=True)
        # Asked again once locked (a new snapshot): one queued by a caller that held the
        # lock just before shows its task now.
        pks = list(orphans.filter(pk__in=list(locked)).values_list("pk", flat=True))
        for pk in pks:
            run_mass_action.enqueue(pk)
    return len(pks)


def cancel(action: MassAction) -> None:
    """Stop after the chunk in progress; what was done stays done. A list-names update
    cannot be stopped (``MassAction.can_stop``)."""
    with transaction.atomic():
        MassAction.objects.select_for_update().filter(
            pk=action.pk, state=MassAction.State.RUNNING
        ).exclude(kind=Kind.LIST_NAMES).update(
            state=MassAction.State.CANCELLED, finished_at=timezone.now(), customer_ids=[]
        )


@dataclass(frozen=True)
class Undo:
    count: int
    in_background: bool


def undo_deletion(
    *, performer: Performer, deleted_at: datetime, background_delete: int | None
) -> Undo:
    """Undo one delete: stop it first if it still runs in the background (``background_delete``:
    its action's id), then restore the customers it deleted, in the background too if many."""
    if background_delete:
        for action in MassAction.objects.for_performer(performer).filter(pk=background_delete):
            cancel(action)
    deleted = Customer.objects.for_performer(performer).deleted()
    deleted = deleted.filter(status_changed_at=deleted_at)
    count = deleted.count()
    outcome = run(
        performer=performer,
        kind=Kind.RESTORE,
        customers=deleted,
        count=count,
        apply=lambda: services.undo_deletion(performer=performer, deleted_at=deleted_at),
    )
    return Undo(count if outcome.in_background else outcome.result, outcome.in_background)


@dataclass(frozen=True)
class MembersUpdate:
    """How a list's members were updated after it was renamed or deleted."""

    count: int
    in_background: bool


def rename_list(*, performer: Performer, customer_list: CustomerList, name: str) -> MembersUpdate:
    """Rename a list; every member's list names follow (in the background if they are many)."""
    with (
        transaction.atomic(),
        selected(list_members(performer, customer_list), performer=performer) as members,
    ):
        old_name = list_services.rename_list(
            performer=performer, customer_list=customer_list, name=name
        )
        detail = f"List “{old_name}” renamed to “{customer_list.name}”"
        return _update_members(performer, members, detail=detail)


def delete_list(*, performer: Performer, customer_list: CustomerList) -> MembersUpdate:
    """Delete a list, never its customers; members left in no list fall back to New
    Customers or Unassigned by the L2 rules (L6)."""
    # The members are taken before their memberships go with the list.
    with (
        transaction.atomic(),
        selected(list_members(performer, customer_list), performer=performer) as members,
    ):
        list_services.delete_list(performer=performer, customer_list=customer_list)
        return _update_members(performer, members, detail=f"List “{customer_list.name}” deleted")


def _update_members(performer: Performer, members: Selection, *, detail: str) -> MembersUpdate:
    customers = Customer.objects.filter(pk__in=members.ids())
    outcome = run(
        performer=performer,
        kind=Kind.LIST_NAMES,
        customers=customers,
        count=members.count,
        apply=lambda: list_services.update_list_names(
            performer=performer, customers=customers, detail=detail
        ),
        params=lambda: {"detail": detail},
    )
    return MembersUpdate(members.count, in_background=outcome.in_background)


@task()
def run_mass_action(action_id: int) -> None:
    while apply_next_chunk(action_id):
        pass


def apply_next_chunk(action_id: int) -> bool:
    """Apply the action to its next chunk of customers; returns whether any are left.

    An error rolls the chunk back and ends the action as failed, with the reason; but the
    database going away (restart, failover) only rolls the chunk back: the action goes on
    from there once the database answers (mycustomers.workers runs its task again)."""
    try:
        with transaction.atomic():
            action = (
                MassAction.objects.select_for_update(of=("self",))
                .select_related("performer", "mail")
                .defer("customer_ids")
                .get(pk=action_id)
            )
            if action.state != MassAction.State.RUNNING:
                return False
            end = min(action.processed + settings.MYCUSTOMERS["BACKGROUND_CHUNK"], action.total)
            # customer_ids[processed:end] (Django's array slice transform), not the whole array.
            ids = (
                MassAction.objects.filter(pk=action_id)
                .values_list(f"customer_ids__{action.processed}_{end}", flat=True)
                .get()
            ) or []
            customers = Customer.objects.filter(performer=action.performer, pk__in=ids)
            action.changed += APPLY[action.kind](action, customers)
            action.processed = end
            fields = ["processed", "changed"]
            if end >= action.total:
                action.state, action.finished_at = MassAction.State.DONE, timezone.now()
                # Finished: forget the ids (~8 bytes a customer; each one's activity says it).
                action.customer_ids = []
                fields += ["state", "finished_at", "customer_ids"]
            action.save(update_fields=fields)
            return action.is_running
    except Exception as error:
        if connection_lost(error):
            raise
        logger.exception("Mass action %s failed", action_id)
        MassAction.objects.filter(pk=action_id, state=MassAction.State.RUNNING).update(
            state=MassAction.State.FAILED,
            finished_at=timezone.now(),
            error=str(error)[:500],
            customer_ids=[],
        )
        raise


def _assign(action: MassAction, customers: QuerySet) -> int:
    lists = list(
        CustomerList.objects.for_performer(action.performer).filter(pk__in=action.list_ids)
    )
    if len(lists) != len(set(action.list_ids)):
        # Assigning the rest to fewer lists would take them out of the deleted one's siblings.
        raise ActionError("one of its lists was deleted meanwhile")
    return list_services.set_customer_lists(
        performer=action.performer, customers=customers, lists=lists
    )


def _one_list(action: MassAction) -> CustomerList:
    found = CustomerList.objects.for_performer(action.performer).filter(pk__in=action.list_ids)
    if not found:
        raise ActionError("its list was deleted meanwhile")
    return found[0]


APPLY: dict[str, Callable[[MassAction, QuerySet], int]] = {
    Kind.SEND_MAIL: lambda a, c: deliver_mail(performer=a.performer, mail=a.mail, customers=c),
    Kind.BLOCK: lambda a, c: services.block_customers(performer=a.performer, customers=c),
    Kind.UNBLOCK: lambda a, c: services.unblock_customers(performer=a.performer, customers=c),
    Kind.DELETE: lambda a, c: (
        services.delete_customers(performer=a.performer, customers=c, deleted_at=a.deleted_at).count
    ),
    Kind.RESTORE: lambda a, c: services.restore_customers(performer=a.performer, customers=c),
    Kind.ASSIGN: _assign,
    Kind.ADD_TO_LIST: lambda a, c: list_services.add_to_list(
        performer=a.performer, customer_list=_one_list(a), customers=c
    ),
    Kind.REMOVE_FROM_LIST: lambda a, c: list_services.remove_from_list(
        performer=a.performer, customer_list=_one_list(a), customers=c
    ),
    Kind.LIST_NAMES: lambda a, c: list_services.update_list_names(
        performer=a.performer, customers=c, detail=a.detail
    ),
}


def _customers(count: int) -> str:
    return ngettext("%(n)s customer", "%(n)s customers", count) % {"n": f"{count:,}"}


# What the banner says an action is doing, then has done, before "N customers".
VERBS = {
    Kind.BLOCK: ("Blocking", "Blocked"),
    Kind.UNBLOCK: ("Unblocking", "Unblocked"),
    Kind.DELETE: ("Deleting", "Deleted"),
    Kind.RESTORE: ("Restoring", "Restored"),
    Kind.ASSIGN: ("Assigning", "Assigned"),
    Kind.ADD_TO_LIST: ("Adding to a list", "Added to a list"),
    Kind.REMOVE_FROM_LIST: ("Removing from a list", "Removed from a list"),
}


def _verbs(action: MassAction) -> tuple[str, str]:
    if action.kind == Kind.SEND_MAIL:
        subject = action.mail.subject
        return f"Sending “{subject}” to", f"“{subject}” sent to"
    if action.kind == Kind.LIST_NAMES:
        return f"{action.detail}: updating", f"{action.detail}: updated"
    return VERBS[action.kind]


def _worker_absence(action: MassAction, now: datetime) -> str:
    """Said of an action older than WORKER_SILENCE while no worker has been seen for that
    long, whatever its progress: it goes on by itself once a worker runs again."""
    seen = getattr(action, "worker_seen_at", None)
    if now - action.created_at <= WORKER_SILENCE or (seen and now - seen <= WORKER_SILENCE):
        return ""
    if seen is None:
        return "No background worker is running: it goes on once one runs."
    return (
        f"No background worker has been seen for {timesince(seen, now)}: it goes on once one runs."
    )


def describe(action: MassAction, now: datetime | None = None) -> str:
    """What the progress banner says of an action (``MassActionQuerySet.to_show``'s, which
    knows when a worker was last seen)."""
    doing, done = _verbs(action)
    if action.state == MassAction.State.RUNNING:
        progress = f"{action.processed:,} done so far" if action.processed else "waiting to start"
        said = f"{doing} {_customers(action.total)}: {progress}."
        absent = _worker_absence(action, now or timezone.now())
        return f"{said} {absent}" if absent else said
    summary = f"{done} {_customers(action.changed)}"
    if action.state == MassAction.State.DONE:
        return f"{summary}."
    stopped = f"after {action.processed:,} of {action.total:,}"
    if action.state == MassAction.State.CANCELLED:
        return f"Stopped {stopped}: {summary}."
    reason = action.error or "unknown error"
    return f"Failed {stopped} ({reason}): {summary}; the rest is unchanged."
