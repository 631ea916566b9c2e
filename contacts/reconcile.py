"""Recount customers' derived fields from their events, and report or repair drift (SPEC C4).

Most derived fields must equal the recount exactly. Two are one-way: the missed-call clearing
time may be later than every event (a dismissal), so it drifts only when it is *earlier* than
the latest clearing event; and ``new_cleared`` may be set without an event (blocking, a list),
so it drifts only when it is off although a sent-mail event exists.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from django.db import connection, transaction

from contacts import sql

FIELDS = sql.DERIVED_FIELDS


@dataclass(frozen=True)
class Drift:
    customer_id: int
    performer_id: int
    member_name: str
    differences: dict[str, tuple[object, object]]  # field -> (stored, recounted)


def find_drift(performer_ids: Sequence[int] | None = None) -> list[Drift]:
    """Customers whose stored derived fields differ from a recount of their events,
    ordered by performer and member name."""
    drifts = []
    with connection.cursor() as cursor:
        cursor.execute(
            sql.find_drift(of_performers=performer_ids is not None), _params(performer_ids)
        )
        for customer_id, performer_id, member_name, *values in cursor.fetchall():
            stored_values, expected_values = values[: len(FIELDS)], values[len(FIELDS) :]
            differences = {
                name: (was, should)
                for name, was, should in zip(FIELDS, stored_values, expected_values, strict=True)
                if was != should
            }
            drifts.append(Drift(customer_id, performer_id, member_name, differences))
    return drifts


def fix_drift(performer_ids: Sequence[int] | None = None) -> int:
    """Overwrite drifted customers' derived fields with the recount; returns how many."""
    with transaction.atomic(), connection.cursor() as cursor:
        # Keep event writers out while the recount is applied: an event committed between
        # the recount's snapshot and the UPDATE would otherwise be overwritten (lost).
        # SHARE mode still lets pages read; record_events waits meanwhile.
        cursor.execute(sql.LOCK_EVENTS)
        cursor.execute(
            sql.fix_drift(of_performers=performer_ids is not None), _params(performer_ids)
        )
        return cursor.rowcount


def _params(performer_ids: Sequence[int] | None) -> dict[str, object]:
    return {"performers": list(performer_ids or [])}
