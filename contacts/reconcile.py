"""Recount customers' derived fields from their events, and report or repair drift (SPEC C4)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from django.db import connection, transaction

from contacts.models import ContactEvent
from contacts.services import _CLEARS_MISSED, _SETS_MISSED, _counter_sums
from mycustomers.models import COUNTER_FIELDS, Customer

# Compared exactly. The missed-call clearing time may legitimately be later than any
# event (a dismissal), so it only drifts when it is *earlier* than the recount.
EXACT_FIELDS = (
    *COUNTER_FIELDS,
    "earnings",
    "first_contact",
    "last_contact",
    "last_contact_type",
    "last_missed_call_at",
)


@dataclass(frozen=True)
class Drift:
    customer_id: int
    performer_id: int
    member_name: str
    differences: dict[str, tuple[object, object]]  # field -> (stored, recounted)


_RECOUNT = f"""
    WITH recount AS (
        SELECT customer_id,
               {_counter_sums()},
               sum(amount) AS earnings,
               min(occurred_at) AS first_contact,
               max(occurred_at) AS last_contact,
               (array_agg(type ORDER BY occurred_at DESC, id DESC))[1] AS last_contact_type,
               max(occurred_at) FILTER (WHERE type IN ({_SETS_MISSED})) AS last_missed_call_at,
               max(occurred_at) FILTER (WHERE type IN ({_CLEARS_MISSED})) AS cleared_at
        FROM {ContactEvent._meta.db_table}
        WHERE %(all)s OR performer_id = ANY(%(performers)s)
        GROUP BY customer_id
    ), expected AS (
        SELECT c.id, c.performer_id, c.member_name,
               {", ".join(f"coalesce(r.{f}, 0) AS {f}" for f in COUNTER_FIELDS)},
               coalesce(r.earnings, 0) AS earnings, r.first_contact, r.last_contact,
               coalesce(r.last_contact_type, '') AS last_contact_type,
               r.last_missed_call_at, r.cleared_at
        FROM {Customer._meta.db_table} c LEFT JOIN recount r ON r.customer_id = c.id
        WHERE %(all)s OR c.performer_id = ANY(%(performers)s)
    )
"""


def find_drift(performer_ids: Sequence[int] | None = None) -> Iterator[Drift]:
    """Customers whose stored derived fields differ from a recount of their events."""
    stored = ", ".join(f"c.{f}" for f in (*EXACT_FIELDS, "missed_call_cleared_at"))
    expected = ", ".join(f"e.{f}" for f in (*EXACT_FIELDS, "cleared_at"))
    differs = " OR ".join(f"c.{f} IS DISTINCT FROM e.{f}" for f in EXACT_FIELDS)
    sql = f"""{_RECOUNT}
        SELECT e.id, e.performer_id, e.member_name, {stored}, {expected}
        FROM expected e JOIN {Customer._meta.db_table} c ON c.id = e.id
        WHERE {differs}
           OR (e.cleared_at IS NOT NULL AND (c.missed_call_cleared_at IS NULL
                                             OR c.missed_call_cleared_at < e.cleared_at))
        ORDER BY e.performer_id, e.member_name
    """
    names = (*EXACT_FIELDS, "missed_call_cleared_at")
    with connection.cursor() as cursor:
        cursor.execute(sql, _params(performer_ids))
        for row in cursor.fetchall():
            customer_id, performer_id, member_name, *values = row
            stored_values, expected_values = values[: len(names)], values[len(names) :]
            differences = {
                name: (was, should)
                for name, was, should in zip(names, stored_values, expected_values, strict=True)
                if was != should
            }
            yield Drift(customer_id, performer_id, member_name, differences)


def fix_drift(performer_ids: Sequence[int] | None = None) -> int:
    """Overwrite drifted customers' derived fields with the recount; returns how many."""
    assignments = ", ".join(f"{f} = e.{f}" for f in EXACT_FIELDS)
    differs = " OR ".join(f"c.{f} IS DISTINCT FROM e.{f}" for f in EXACT_FIELDS)
    sql = f"""{_RECOUNT}
        UPDATE {Customer._meta.db_table} c SET {assignments},
            missed_call_cleared_at = GREATEST(c.missed_call_cleared_at, e.cleared_at)
        FROM expected e
        WHERE c.id = e.id AND (
            {differs}
            OR (e.cleared_at IS NOT NULL AND (c.missed_call_cleared_at IS NULL
                                              OR c.missed_call_cleared_at < e.cleared_at)))
    """
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, _params(performer_ids))
        return cursor.rowcount


def _params(performer_ids: Sequence[int] | None) -> dict[str, object]:
    return {"all": performer_ids is None, "performers": list(performer_ids or [])}
