"""Materialise a selection of customers once, so that a multi-statement action applies to
exactly the rows that matched when it started (blocking the "visible" customers must not
change which rows the next statement sees), with a constant number of queries."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from django.contrib.auth.models import AbstractUser
from django.core.exceptions import EmptyResultSet
from django.db import connection
from django.db.models import QuerySet
from django.db.models.expressions import RawSQL

_names = itertools.count()


@dataclass(frozen=True)
class Selection:
    table: str
    count: int

    def ids(self) -> RawSQL:
        """For ``pk__in=selection.ids()`` in ORM queries."""
        return RawSQL(f"SELECT id FROM {self.table}", [])

    @property
    def sql(self) -> str:
        """For raw SQL: ``WHERE customer_id IN ({selection.sql})``."""
        return f"SELECT id FROM {self.table}"


# Advisory-lock key space for "writes to one performer's customers" (with the performer id).
PERFORMER_WRITE_LOCK = 7301


def lock_performer(cursor, performer_id: int, *, shared: bool) -> None:
    """Recording events takes this lock shared, mass changes exclusive: an action over many
    customers waits for in-flight event batches and holds new ones back, so the two never
    deadlock on row locks and the action needs no row-by-row ``FOR UPDATE`` pass."""
    function = "pg_advisory_xact_lock_shared" if shared else "pg_advisory_xact_lock"
    cursor.execute(f"SELECT {function}(%s, %s)", [PERFORMER_WRITE_LOCK, performer_id])


@contextmanager
def selected(customers: QuerySet, *, performer: AbstractUser | None = None) -> Iterator[Selection]:
    """Copy the ids of ``customers`` into a temporary table for the enclosing transaction.

    With ``performer`` the change is serialised against that performer's event recording
    (``lock_performer``); without one (operator commands across performers) the customers
    are locked in id order, the order record_events locks them in.
    """
    table = f"selection_{next(_names)}"
    try:
        sql, params = customers.order_by().values("pk").query.sql_with_params()
    except EmptyResultSet:  # e.g. pk__in=[]: Django knows no row can match
        sql, params = "SELECT NULL::bigint AS id WHERE false", []
    with connection.cursor() as cursor:
        if performer is not None:
            lock_performer(cursor, performer.pk, shared=False)
        cursor.execute(f"CREATE TEMPORARY TABLE {table} (id) ON COMMIT DROP AS {sql}", params)
        count = cursor.rowcount
        cursor.execute(f"ALTER TABLE {table} ADD PRIMARY KEY (id)")
        # Temporary tables are never auto-analysed: without statistics the planner guesses
        # their size and may join a 100,000-row selection with nested loops.
        cursor.execute(f"ANALYZE {table}")
        if performer is None:
            cursor.execute(
                f"SELECT 1 FROM {customers.model._meta.db_table} "
                f"WHERE id IN (SELECT id FROM {table}) ORDER BY id FOR UPDATE"
            )
    yield Selection(table=table, count=count)
    # Only after the block went through: after an error the transaction is aborted (a DROP
    # would fail, hiding the error: a stop signal would become "the action failed"), and its
    # rollback, or its commit (ON COMMIT DROP), takes the table with it.
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {table}")
