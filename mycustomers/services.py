"""State changes on customers (SPEC §4). Each runs in one transaction, is set-based (a
constant number of statements whatever the selection's size) and logs the activity."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db import transaction
from django.db.models import F, QuerySet
from django.db.models.functions import Greatest, Now

from contacts.activity import log_activity
from contacts.models import Activity, ActivityVerb
from lists.models import Membership
from mycustomers.models import Customer, CustomerStatus
from mycustomers.selection import selected


class ActionError(Exception):
    """A state change that cannot be applied; the message is shown to the performer."""


@dataclass(frozen=True)
class Deletion:
    """What Undo needs: every customer of one delete shares its transaction's timestamp."""

    count: int
    deleted_at: datetime | None


def _scoped(performer, customers: QuerySet) -> QuerySet:
    # Defence in depth: forms already scope selections, services scope them again.
    return customers.filter(performer=performer)


def block_customers(*, performer, customers: QuerySet) -> int:
    """Move customers to Blocked: out of every other list and out of the main view (A4)."""
    with (
        transaction.atomic(),
        selected(_scoped(performer, customers).exclude(status=CustomerStatus.BLOCKED)) as selection,
    ):
        Membership.objects.filter(performer=performer, customer__in=selection.ids()).delete()
        Customer.objects.filter(pk__in=selection.ids()).update(
            status=CustomerStatus.BLOCKED,
            status_changed_at=Now(),
            new_cleared=True,
            list_names="",
        )
        log_activity(performer=performer, customer_ids_sql=selection.sql, verb=ActivityVerb.BLOCKED)
        return selection.count


def unblock_customers(*, performer, customers: QuerySet) -> int:
    """Blocked → Unassigned (L2): active, in no list, no longer new."""
    with (
        transaction.atomic(),
        selected(_scoped(performer, customers).filter(status=CustomerStatus.BLOCKED)) as selection,
    ):
        Customer.objects.filter(pk__in=selection.ids()).update(
            status=CustomerStatus.ACTIVE, status_changed_at=Now(), new_cleared=True
        )
        log_activity(
            performer=performer, customer_ids_sql=selection.sql, verb=ActivityVerb.UNBLOCKED
        )
        return selection.count


def delete_customers(*, performer, customers: QuerySet) -> Deletion:
    """Soft delete (A5): events, notes, feedback and list memberships stay, so Undo and
    restore bring everything back. Deleting a blocked customer unblocks them."""
    with (
        transaction.atomic(),
        selected(_scoped(performer, customers).exclude(status=CustomerStatus.DELETED)) as selection,
    ):
        Customer.objects.filter(pk__in=selection.ids()).update(
            status=CustomerStatus.DELETED, status_changed_at=Now()
        )
        log_activity(performer=performer, customer_ids_sql=selection.sql, verb=ActivityVerb.DELETED)
        deleted_at = (
            Customer.objects.filter(pk__in=selection.ids())
            .values_list("status_changed_at", flat=True)
            .first()
        )
        return Deletion(count=selection.count, deleted_at=deleted_at)


def restore_customers(*, performer, customers: QuerySet) -> int:
    """Bring deleted customers back to the main view with their lists (A5)."""
    with (
        transaction.atomic(),
        selected(_scoped(performer, customers).filter(status=CustomerStatus.DELETED)) as selection,
    ):
        Customer.objects.filter(pk__in=selection.ids()).update(
            status=CustomerStatus.ACTIVE, status_changed_at=Now()
        )
        log_activity(
            performer=performer, customer_ids_sql=selection.sql, verb=ActivityVerb.RESTORED
        )
        return selection.count


def undo_deletion(*, performer, deleted_at: datetime) -> int:
    """Restore exactly the customers of one delete action (the "Undo" right after it)."""
    return restore_customers(
        performer=performer,
        customers=Customer.objects.for_performer(performer).filter(status_changed_at=deleted_at),
    )


def dismiss_missed_call(*, performer, customer: Customer) -> bool:
    """Take down the missed-call flag (M7); a later missed call raises it again.

    Returns whether there was a flag to dismiss.
    """
    with transaction.atomic():
        dismissed = (
            Customer.objects.for_performer(performer)
            .filter(pk=customer.pk, has_missed_call=True)
            .update(missed_call_cleared_at=Greatest(F("last_missed_call_at"), Now()))
        )
        if dismissed:
            Activity.objects.create(
                performer=performer, customer=customer, verb=ActivityVerb.MISSED_CALL_DISMISSED
            )
    return bool(dismissed)
