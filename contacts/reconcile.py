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

from contacts.models import ContactEvent
from contacts.services import _CLEARS_MISSED, _CLEARS_NEW, _SETS_MISSED, _counter_sums
from mycustomers.models import COUNTER_FIELDS, Customer

EXACT_FIELDS = (
    *COUNTER_FIELDS,
    "earnings",
    "first_contact",
    "last_contact",
    "last_contact_type",
    "last_missed_call_at",
)
ONE_WAY_FIELDS = ("missed_call_cleared_at", "new_cleared")
FIELDS = (*EXACT_FIELDS, *ONE_WAY_FIELDS)


@dataclass(frozen=True)
class Drift:
    customer_id: int
    performer_id: int
    member_name: str
    differences: dict[str, tuple[object, object]]  # field -> (stored, recounted)


_RECOUNT_EVENTS = f"""
    SELECT customer_id,
           {_counter_sums()},
           sum(amount) AS earnings,
           min(occurred_at) AS first_contact,
           max(occurred_at) AS last_contact,
           (array_agg(type ORDER BY occurred_at DESC, id DESC))[1] AS last_contact_type,
           max(occurred_at) FILTER (WHERE type IN ({_SETS_MISSED})) AS last_missed_call_at,
           max(occurred_at) FILTER (WHERE type IN ({_CLEARS_MISSED})) AS cleared_at,
           bool_or(type IN ({_CLEARS_NEW})) AS mailed
    FROM {ContactEvent._meta.db_table}
    WHERE {{scope}}
    GROUP BY customer_id
"""


def derived_values(*, stored: str, recount: str) -> dict[str, str]:
    """SQL for each derived field, from a customer row (alias ``stored``) and its recount
    (alias ``recount``, a row of ``recount_sql()``; NULLs when it has no events)."""
    return {
        **{f: f"coalesce({recount}.{f}, 0)" for f in COUNTER_FIELDS},
        "earnings": f"coalesce({recount}.earnings, 0)",
        "first_contact": f"{recount}.first_contact",
        "last_contact": f"{recount}.last_contact",
        "last_contact_type": f"coalesce({recount}.last_contact_type, '')",
        "last_missed_call_at": f"{recount}.last_missed_call_at",
        # One-way fields: what they must at least be.
        "missed_call_cleared_at": (
            f"GREATEST({stored}.missed_call_cleared_at, {recount}.cleared_at)"
        ),
        "new_cleared": f"{stored}.new_cleared OR coalesce({recount}.mailed, false)",
    }


def recount_sql(performer_ids: Sequence[int] | None = None) -> str:
    """Per customer with events, the derived fields recounted from the events; the query
    takes the parameter ``%(performers)s`` when ``performer_ids`` is given."""
    # A literal condition, not "%(all)s OR performer_id = ANY(…)": an OR with a parameter
    # hides the tenant index from the planner and scans every performer's events.
    scope = "TRUE" if performer_ids is None else "performer_id = ANY(%(performers)s)"
    return _RECOUNT_EVENTS.replace("{scope}", scope)


def _recount(performer_ids: Sequence[int] | None) -> str:
    expected = ", ".join(
        f"{sql} AS {f}" for f, sql in derived_values(stored="c", recount="r").items()
    )
    scope = "TRUE" if performer_ids is None else "c.performer_id = ANY(%(performers)s)"
    return f"""
        WITH recount AS ({recount_sql(performer_ids)}),
        expected AS (
            SELECT c.id, c.performer_id, c.member_name, {expected}
            FROM {Customer._meta.db_table} c LEFT JOIN recount r ON r.customer_id = c.id
            WHERE {scope}
        )
    """


_DIFFERS = " OR ".join(f"c.{f} IS DISTINCT FROM e.{f}" for f in FIELDS)


def find_drift(performer_ids: Sequence[int] | None = None) -> list[Drift]:
    """Customers whose stored derived fields differ from a recount of their events,
    ordered by performer and member name."""
    stored = ", ".join(f"c.{f}" for f in FIELDS)
    expected = ", ".join(f"e.{f}" for f in FIELDS)
    sql = f"""{_recount(performer_ids)}
        SELECT e.id, e.performer_id, e.member_name, {stored}, {expected}
        FROM expected e JOIN {Customer._meta.db_table} c ON c.id = e.id
        WHERE {_DIFFERS}
        ORDER BY e.performer_id, e.member_name
    """
    drifts = []
    with connection.cursor() as cursor:
        cursor.execute(sql, _params(performer_ids))
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
    # One-way fields combine with the row as it is when updated (a dismissal may land now).
    assignments = ", ".join(
        [
            *(f"{f} = e.{f}" for f in EXACT_FIELDS),
            "missed_call_cleared_at = GREATEST(c.missed_call_cleared_at, e.missed_call_cleared_at)",
            "new_cleared = c.new_cleared OR e.new_cleared",
        ]
    )
    sql = f"""{_recount(performer_ids)}
        UPDATE {Customer._meta.db_table} c SET {assignments}
        FROM expected e
        WHERE c.id = e.id AND ({_DIFFERS})
    """
    with transaction.atomic(), connection.cursor() as cursor:
        # Keep event writers out while the recount is applied: an event committed between
        # the recount's snapshot and the UPDATE would otherwise be overwritten (lost).
        # SHARE mode still lets pages read; record_events waits (seconds at most).
        cursor.execute(f"LOCK TABLE {ContactEvent._meta.db_table} IN SHARE MODE")
        cursor.execute(sql, _params(performer_ids))
        return cursor.rowcount


def _params(performer_ids: Sequence[int] | None) -> dict[str, object]:
    return {"performers": list(performer_ids or [])}
