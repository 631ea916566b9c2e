"""State changes on customers (SPEC §4). Each runs in one transaction, is set-based (a
constant number of statements whatever the selection's size) and logs the activity."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import Enum

from django.conf import settings
from django.contrib.admin.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.db import connection, transaction
from django.db.models import BigIntegerField, F, OuterRef, Q, QuerySet, Subquery, TextField
from django.db.models.functions import Cast, Greatest, Now
from django.utils import timezone

from contacts.activity import log_activity
from contacts.models import Activity, ActivityCustomer, ActivityVerb, Note
from lists.models import Membership
from lists.services import set_customer_lists
from mycustomers.errors import ActionError
from mycustomers.models import Customer, CustomerStatus, FollowUpStatus, Performer
from mycustomers.selection import selected


@dataclass(frozen=True)
class Deletion:
    """What Undo needs: every customer of one delete shares its transaction's timestamp.
    ``unblocked``: how many of them were blocked (deleting unblocks, A5)."""

    count: int
    deleted_at: datetime | None
    unblocked: int = 0


def _scoped(performer: Performer, customers: QuerySet) -> QuerySet:
    # Defence in depth: forms already scope selections, services scope them again.
    return customers.filter(performer=performer)


def _change_status(
    performer: Performer, customers: QuerySet, eligible: Q, verb: str, *, also=None, **changes
) -> int:
    """The shape shared by block / unblock / delete / restore: select the performer's
    eligible customers once, run ``also(selection)`` if given, set ``changes`` (and the time
    of the change), log ``verb``; one transaction. Returns how many customers changed."""
    with (
        transaction.atomic(),
        selected(_scoped(performer, customers).filter(eligible), performer=performer) as selection,
    ):
        if also is not None:
            also(selection)
        Customer.objects.filter(pk__in=selection.ids()).update(
            **{"status_changed_at": Now(), **changes}
        )
        log_activity(performer=performer, customer_ids_sql=selection.sql, verb=verb)
        return selection.count


def block_customers(*, performer: Performer, customers: QuerySet) -> int:
    """Move customers to Blocked: out of every other list and out of the main view (A4)."""

    def leave_every_list(selection) -> None:
        Membership.objects.filter(performer=performer, customer__in=selection.ids()).delete()

    return _change_status(
        performer, customers, ~Q(status=CustomerStatus.BLOCKED), ActivityVerb.BLOCKED,
        also=leave_every_list, status=CustomerStatus.BLOCKED, new_cleared=True, list_names="",
    )  # fmt: skip


def unblock_customers(*, performer: Performer, customers: QuerySet) -> int:
    """Blocked → Unassigned (L2): active, in no list, no longer new."""
    return _change_status(
        performer, customers, Q(status=CustomerStatus.BLOCKED), ActivityVerb.UNBLOCKED,
        status=CustomerStatus.ACTIVE, new_cleared=True,
    )  # fmt: skip


def delete_customers(
    *, performer: Performer, customers: QuerySet, deleted_at: datetime | None = None
) -> Deletion:
    """Soft delete (A5): events, notes, feedback and list memberships stay, so Undo and
    restore bring everything back (until ``purge_deleted``, after the retention). Deleting a
    blocked customer unblocks them.

    One timestamp for the whole delete (``deleted_at``, given by a delete done in several
    transactions): it is what Undo restores by."""
    deleted_at = deleted_at or timezone.now()
    blocked = []

    def count_blocked(selection) -> None:
        rows = Customer.objects.filter(pk__in=selection.ids(), status=CustomerStatus.BLOCKED)
        blocked.append(rows.count())

    count = _change_status(
        performer, customers, ~Q(status=CustomerStatus.DELETED), ActivityVerb.DELETED,
        also=count_blocked, status=CustomerStatus.DELETED, status_changed_at=deleted_at,
    )  # fmt: skip
    return Deletion(count=count, deleted_at=deleted_at if count else None, unblocked=blocked[0])


def restore_customers(*, performer: Performer, customers: QuerySet) -> int:
    """Bring deleted customers back to the main view with their lists (A5)."""
    return _change_status(
        performer, customers, Q(status=CustomerStatus.DELETED), ActivityVerb.RESTORED,
        status=CustomerStatus.ACTIVE,
    )  # fmt: skip


def undo_deletion(*, performer: Performer, deleted_at: datetime) -> int:
    """Restore exactly the customers of one delete action (the "Undo" right after it)."""
    return restore_customers(
        performer=performer,
        customers=Customer.objects.for_performer(performer).filter(status_changed_at=deleted_at),
    )


def dismiss_missed_call(*, performer: Performer, customer: Customer) -> bool:
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


# --- One customer's own state, edited from the detail page (SPEC D1, D4, D8) -------------

MAX_NICKNAME = Customer._meta.get_field("nickname").max_length


def set_nickname(*, performer: Performer, customer: Customer, nickname: str) -> bool:
    """Set (or clear, with "") the performer's nickname for a customer. Returns whether it
    changed; an unchanged nickname logs nothing."""
    nickname = " ".join(nickname.split())
    if len(nickname) > MAX_NICKNAME:
        raise ActionError(f"Nicknames can be at most {MAX_NICKNAME} characters.")
    with transaction.atomic():
        old = _locked(performer, customer).nickname
        if old == nickname:
            return False
        Customer.objects.filter(pk=customer.pk).update(nickname=nickname)
        customer.nickname = nickname
        if not nickname:
            detail = f"Cleared (was “{old}”)"
        elif old:
            detail = f"“{old}” → “{nickname}”"
        else:
            detail = f"“{nickname}”"
        Activity.objects.create(
            performer=performer,
            customer=customer,
            verb=ActivityVerb.NICKNAME_CHANGED,
            detail=detail,
        )
        return True


def set_follow_up(*, performer: Performer, customer: Customer, follow_up: str) -> bool:
    """Set the follow-up (call) status (D8). Returns whether it changed."""
    if follow_up not in FollowUpStatus.values:
        raise ActionError("Choose one of the follow-up statuses.")
    with transaction.atomic():
        if _locked(performer, customer).follow_up == follow_up:
            return False
        Customer.objects.filter(pk=customer.pk).update(follow_up=follow_up)
        customer.follow_up = follow_up
        Activity.objects.create(
            performer=performer,
            customer=customer,
            verb=ActivityVerb.FOLLOW_UP_CHANGED,
            detail=FollowUpStatus(follow_up).label,
        )
        return True


class ListsChange(Enum):
    UNCHANGED = "unchanged"
    LISTS = "lists"
    BLOCKED = "blocked"
    UNBLOCKED = "unblocked"


def change_customer_lists(
    *, performer: Performer, customer: Customer, lists: Sequence, blocked: bool
) -> ListsChange:
    """The detail page's lists control (D4): block, unblock, or make ``lists`` exactly the
    customer's custom lists. Blocking wins over ``lists`` and removes every list, through the
    mass Block action's own service (A4, L4): the form still has the lists ticked."""
    one = Customer.objects.for_performer(performer).filter(pk=customer.pk)
    with transaction.atomic():
        current = _locked(performer, customer)
        if current.status == CustomerStatus.DELETED:
            raise ActionError("Restore this customer before changing their lists.")
        if blocked:
            if current.status == CustomerStatus.BLOCKED:
                return ListsChange.UNCHANGED
            block_customers(performer=performer, customers=one)
            return ListsChange.BLOCKED
        if current.status == CustomerStatus.BLOCKED and not lists:
            unblock_customers(performer=performer, customers=one)
            return ListsChange.UNBLOCKED
        in_lists = set(
            Membership.objects.filter(performer=performer, customer=customer).values_list(
                "customer_list_id", flat=True
            )
        )
        if current.status == CustomerStatus.ACTIVE and in_lists == {lst.pk for lst in lists}:
            return ListsChange.UNCHANGED
        set_customer_lists(performer=performer, customers=one, lists=lists)
        return ListsChange.LISTS


def _locked(performer: Performer, customer: Customer) -> Customer:
    """The customer's row, locked for the rest of the transaction (scoped to the performer)."""
    try:
        return (
            Customer.objects.for_performer(performer)
            .select_for_update()
            .only("status", "nickname", "follow_up")
            .get(pk=customer.pk)
        )
    except Customer.DoesNotExist as exc:
        raise ActionError("That customer is not yours.") from exc


# Activity entries that quote the performer's private data about a customer (a note's text,
# a nickname, a follow-up status, list names): a purge keeps the entry (what was done, when)
# and erases the quote.
QUOTING_VERBS = (
    ActivityVerb.NOTE_ADDED,
    ActivityVerb.NOTE_EDITED,
    ActivityVerb.NOTE_DELETED,
    ActivityVerb.NICKNAME_CHANGED,
    ActivityVerb.FOLLOW_UP_CHANGED,
    ActivityVerb.LISTS_CHANGED,
)


def purge_deleted(*, older_than_days: int | None = None, now=None) -> int:
    """Erase the performer's private data about customers deleted longer ago than the
    retention (SPEC §2, A5; docs/user-guide.md, "Deleted customers"): notes, lists, nickname
    and follow-up status, everywhere they are kept: the customer row, the notes, the list
    memberships, the activity entries that quote them (kept, without the quote) and the
    admin's change history.

    What passed between the performer and the customer stays: every event (so counters,
    earnings and reports never change), the mail and offers sent, the feedback received, and
    the activity entries themselves. A purged customer who is restored, or contacts the
    performer again, comes back with those. A customer deleted again after a restore is
    purged again. Returns how many were purged."""
    days = (
        settings.MYCUSTOMERS["DELETED_RETENTION_DAYS"]
        if older_than_days is None
        else older_than_days
    )
    now = now or timezone.now()
    stale = (
        Customer.objects.deleted()
        .filter(status_changed_at__lt=now - timedelta(days=days))
        .filter(Q(purged_at__isnull=True) | Q(purged_at__lt=F("status_changed_at")))
    )
    with transaction.atomic(), selected(stale) as selection:
        notes = Note.objects.filter(customer__in=selection.ids())
        _erase_admin_history(Note, notes, repr_from=None)
        _erase_admin_history(
            Customer, Customer.objects.filter(pk__in=selection.ids()), repr_from="member_name"
        )
        notes.delete()
        Membership.objects.filter(customer__in=selection.ids()).delete()
        Activity.objects.filter(customer__in=selection.ids(), verb__in=QUOTING_VERBS).exclude(
            detail=""
        ).update(detail="")
        _unshare_quoting_entries(selection)
        Customer.objects.filter(pk__in=selection.ids()).update(
            nickname="", follow_up="", list_names="", purged_at=now
        )
        return selection.count


def _unshare_quoting_entries(selection) -> None:
    """A shared entry that quotes (a mass action's "Lists set to: …") still says it for the
    customers not purged: each purged customer leaves it for an entry of their own, the same
    but without the quote."""
    verbs = ", ".join(f"'{verb}'" for verb in QUOTING_VERBS)
    with connection.cursor() as cursor:
        cursor.execute(f"""
            WITH moved AS (
                DELETE FROM {ActivityCustomer._meta.db_table} link
                USING {Activity._meta.db_table} entry
                WHERE link.performer_id = entry.performer_id
                    AND link.customer_id IN ({selection.sql}) AND entry.id = link.activity_id
                    AND entry.verb IN ({verbs}) AND entry.detail <> ''
                RETURNING link.customer_id, entry.performer_id, entry.verb, entry.created_at
            )
            INSERT INTO {Activity._meta.db_table}
                (performer_id, customer_id, verb, detail, created_at)
            SELECT performer_id, customer_id, verb, '', created_at FROM moved
        """)  # fmt: skip


def _erase_admin_history(model, rows: QuerySet, *, repr_from: str | None) -> None:
    """The Django admin's log names what it changed (``str()``: a customer's nickname, a
    note's first words) and its inlines: keep that it changed, not what it said."""
    entries = LogEntry.objects.filter(
        content_type=ContentType.objects.get_for_model(model),
        object_id__in=rows.values(text_pk=Cast("pk", TextField())),
    )
    if repr_from is None:
        entries.update(object_repr="(erased)", change_message="")
    else:
        name = rows.filter(pk=Cast(OuterRef("object_id"), BigIntegerField())).values(repr_from)
        entries.update(object_repr=Subquery(name), change_message="")
