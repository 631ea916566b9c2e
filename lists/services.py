"""Customer lists (SPEC §6): creating, renaming and deleting lists, and who is in them.

``Customer.list_names`` is a denormalised, sortable copy of each customer's custom list
names; every function that changes memberships refreshes it in the same transaction. A
rename or delete changes the list here; its members' names follow through
``mycustomers.jobs`` (now, or in the background when they are many).
"""

from __future__ import annotations

from collections.abc import Sequence

from django.db import IntegrityError, connection, transaction
from django.db.models import QuerySet

from contacts.activity import log_activity
from contacts.models import ActivityVerb
from lists import sql
from lists.models import SMART_LIST_PRESETS, CustomerList, DefaultList, Membership, SmartList
from mycustomers.errors import ActionError
from mycustomers.models import CustomerStatus, Performer
from mycustomers.selection import Selection, selected

MAX_NAME = CustomerList._meta.get_field("name").max_length
RESERVED_NAMES = {label.casefold() for label in DefaultList.labels}


def clean_list_name(
    *, performer: Performer, name: str, exclude: CustomerList | SmartList | None = None
) -> str:
    """Trimmed name, 1–60 characters, unique per performer ignoring case among custom and
    smart lists (L3, F5)."""
    name = " ".join(name.split())
    if not name:
        raise ActionError("Enter a list name.")
    if len(name) > MAX_NAME:
        raise ActionError(f"List names can be at most {MAX_NAME} characters.")
    if name.casefold() in RESERVED_NAMES:
        raise ActionError(f"“{name}” is one of the default lists; choose another name.")
    for model in (CustomerList, SmartList):
        clashes = model.objects.for_performer(performer).filter(name__iexact=name)
        if isinstance(exclude, model):
            clashes = clashes.exclude(pk=exclude.pk)
        if clashes.exists():
            raise ActionError(f"You already have a list called “{name}”.")
    return name


def _lock_names(performer: Performer) -> None:
    """Serialise name changes of one performer's lists: custom and smart lists share one
    namespace, which no single unique constraint covers."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [LIST_NAMES_LOCK, performer.pk])


# Advisory-lock key space for "names of one performer's lists" (with the performer id).
LIST_NAMES_LOCK = 7302


def create_list(*, performer: Performer, name: str) -> CustomerList:
    try:
        with transaction.atomic():
            _lock_names(performer)
            name = clean_list_name(performer=performer, name=name)
            return CustomerList.objects.create(performer=performer, name=name)
    except IntegrityError as exc:  # a concurrent create won the race
        raise ActionError(f"You already have a list called “{name}”.") from exc


# --- Smart lists (F5): rules, not members ------------------------------------------------


def create_smart_list(*, performer: Performer, name: str, rules: str) -> SmartList:
    """Save ``rules`` (the main view's filter query, already validated) under a name."""
    with transaction.atomic():
        _lock_names(performer)
        name = clean_list_name(performer=performer, name=name)
        return SmartList.objects.create(performer=performer, name=name, rules=rules)


def add_smart_list_preset(*, performer: Performer, name: str) -> SmartList:
    """One of the ready-made smart lists (``SMART_LIST_PRESETS``)."""
    if name not in SMART_LIST_PRESETS:
        raise ActionError("There is no such ready-made smart list.")
    return create_smart_list(performer=performer, name=name, rules=SMART_LIST_PRESETS[name])


def rename_smart_list(*, performer: Performer, smart_list: SmartList, name: str) -> str:
    """Returns the old name."""
    with transaction.atomic():
        _lock_names(performer)
        name = clean_list_name(performer=performer, name=name, exclude=smart_list)
        old_name = smart_list.name
        SmartList.objects.for_performer(performer).filter(pk=smart_list.pk).update(name=name)
        smart_list.name = name
        return old_name


def set_smart_list_rules(*, performer: Performer, smart_list: SmartList, rules: str) -> None:
    SmartList.objects.for_performer(performer).filter(pk=smart_list.pk).update(rules=rules)
    smart_list.rules = rules


def delete_smart_list(*, performer: Performer, smart_list: SmartList) -> None:
    """Forget the rules; no customer changes."""
    SmartList.objects.for_performer(performer).filter(pk=smart_list.pk).delete()


def rename_list(*, performer: Performer, customer_list: CustomerList, name: str) -> str:
    """Rename the list itself (its members' list names are ``update_list_names``'s job);
    returns the old name. Call it in a transaction."""
    _lock_names(performer)
    name = clean_list_name(performer=performer, name=name, exclude=customer_list)
    old_name = customer_list.name
    CustomerList.objects.for_performer(performer).filter(pk=customer_list.pk).update(name=name)
    customer_list.name = name
    return old_name


def delete_list(*, performer: Performer, customer_list: CustomerList) -> None:
    """Delete the list and its memberships, never its customers."""
    CustomerList.objects.for_performer(performer).filter(pk=customer_list.pk).delete()


def update_list_names(*, performer: Performer, customers: QuerySet, detail: str) -> int:
    """Recompute the list names of ``customers`` after one of their lists was renamed or
    deleted, and log ``detail`` in their activity. Returns how many there were."""
    with (
        transaction.atomic(),
        selected(customers.filter(performer=performer), performer=performer) as selection,
    ):
        refresh_list_names(selection)
        log_activity(
            performer=performer,
            customer_ids_sql=selection.sql,
            verb=ActivityVerb.LISTS_CHANGED,
            detail=detail,
        )
        return selection.count


def set_customer_lists(
    *, performer: Performer, customers: QuerySet, lists: Sequence[CustomerList]
) -> int:
    """Make ``lists`` exactly the customers' custom lists (A6: replace, not add).

    Assigning ends the "new" badge, and moves blocked customers out of Blocked, since
    Blocked excludes every other list (L4). Returns how many customers were assigned.
    """
    list_ids = _own_list_ids(performer, lists)
    with (
        transaction.atomic(),
        selected(
            customers.filter(performer=performer).exclude(status=CustomerStatus.DELETED),
            performer=performer,
        ) as selection,
    ):
        Membership.objects.filter(performer=performer, customer__in=selection.ids()).exclude(
            customer_list__in=list_ids
        ).delete()
        _insert_memberships(performer, selection, list_ids)
        # Blocked excludes every other list: assigning takes them out of Blocked.
        log_activity(
            performer=performer,
            customer_ids_sql=sql.blocked_among(selection.sql),
            verb=ActivityVerb.UNBLOCKED,
        )
        _assign_in_one_write(selection, list_ids)
        names = ", ".join(lst.name for lst in sorted(lists, key=lambda x: x.name.casefold()))
        log_activity(
            performer=performer,
            customer_ids_sql=selection.sql,
            verb=ActivityVerb.LISTS_CHANGED,
            detail=f"Lists set to: {names}" if names else "Removed from all lists",
        )
        return selection.count


def add_to_list(*, performer: Performer, customer_list: CustomerList, customers: QuerySet) -> int:
    """Add customers to one list, keeping their other lists. Blocked and deleted customers
    are left out (the caller reports them). Returns how many were newly added."""
    list_ids = _own_list_ids(performer, [customer_list])
    candidates = customers.filter(performer=performer, status=CustomerStatus.ACTIVE).exclude(
        memberships__customer_list=customer_list
    )
    with transaction.atomic(), selected(candidates, performer=performer) as selection:
        _insert_memberships(performer, selection, list_ids)
        refresh_list_names(selection, clear_new=True)
        log_activity(
            performer=performer,
            customer_ids_sql=selection.sql,
            verb=ActivityVerb.LISTS_CHANGED,
            detail=f"Added to “{customer_list.name}”",
        )
        return selection.count


def remove_from_list(
    *, performer: Performer, customer_list: CustomerList, customers: QuerySet
) -> int:
    """Take customers out of one list; those left in none become Unassigned (L2)."""
    with (
        transaction.atomic(),
        selected(
            customers.filter(performer=performer, memberships__customer_list=customer_list),
            performer=performer,
        ) as selection,
    ):
        Membership.objects.filter(
            performer=performer, customer_list=customer_list, customer__in=selection.ids()
        ).delete()
        refresh_list_names(selection)
        log_activity(
            performer=performer,
            customer_ids_sql=selection.sql,
            verb=ActivityVerb.LISTS_CHANGED,
            detail=f"Removed from “{customer_list.name}”",
        )
        return selection.count


def _assign_in_one_write(selection: Selection, list_ids: list[int]) -> None:
    """The customer side of an assignment, in one UPDATE of the rows that change: each row
    write inserts an entry in every customer index (~20), so writing the new list names,
    the end of "new" and the way out of Blocked separately would cost three times as much.
    Every customer gets the same names, joined in ``refresh_list_names``'s order."""
    with connection.cursor() as cursor:
        cursor.execute(
            sql.assign(selection.sql),
            {"lists": list_ids, "active": CustomerStatus.ACTIVE, "blocked": CustomerStatus.BLOCKED},
        )


def refresh_list_names(selection: Selection, *, clear_new: bool = False) -> None:
    """Recompute ``list_names`` (sorted, case-insensitive, ", "-joined) for a selection, in
    one grouped pass, rewriting only the rows that change (each customer row write
    updates every sort index); with ``clear_new``, in the same write, end "new" (M6)."""
    with connection.cursor() as cursor:
        cursor.execute(sql.refresh_list_names(selection.table), {"clear_new": clear_new})


def _own_list_ids(performer: Performer, lists: Sequence[CustomerList]) -> list[int]:
    ids = [lst.pk for lst in lists]
    owned = set(
        CustomerList.objects.for_performer(performer)
        .filter(pk__in=ids)
        .values_list("pk", flat=True)
    )
    if owned != set(ids):
        raise ActionError("That list does not exist.")
    return ids


def _insert_memberships(performer: Performer, selection: Selection, list_ids: list[int]) -> None:
    if not list_ids:
        return
    with connection.cursor() as cursor:
        cursor.execute(
            sql.insert_memberships(selection.sql),
            {"performer": performer.pk, "lists": list_ids},
        )
