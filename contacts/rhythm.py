"""Each customer's rhythm and value, derived from their paid days (SPEC §11; the rules in a
performer's words: docs/user-guide.md, "Rhythm and segments").

A *paid day* is a calendar day, in the performer's time zone, with an event of amount > 0.
Over the paid days of the history window (from the same date HISTORY_MONTHS ago):

- ``usual_gap``: the median of the gaps between consecutive paid days, once there are 3;
- ``due_date``: the last paid day + the usual gap, rounded half up;
- ``overdue_from``: the first day the overdue factor, (today - last paid day) / usual gap to
  one decimal, reaches OVERDUE_FACTOR, so that "overdue" is a date comparison;
- ``trend``: earnings of the last 90 days against the 90 before;
- ``rfm`` and ``segment``: recency, frequency and monetary scores (1-5, by fifths among the
  performer's customers with a paid day in the window) and the segment they map to.

Events change a customer's rhythm and trend in the same transaction that records them
(``update_customers``, for the customers of a batch with paid events), whatever the order in
which they arrive: the fields are recomputed from the events, not adjusted. The calendar
moves the window and the trend, and the scores compare customers with each other: those
are refreshed for a whole performer, set-based, by ``refresh`` (``manage.py
refresh_insights``, daily from the worker, and at the end of an import).
"""

from __future__ import annotations

import math
from collections.abc import Collection
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from contacts.models import ContactEvent
from mycustomers.models import Customer, Performer
from mycustomers.selection import lock_performer

EVENTS = ContactEvent._meta.db_table
CUSTOMERS = Customer._meta.db_table
TREND_DAYS = 90
# Each stored field, as ``refresh`` and ``drift`` compare and write them.
RHYTHM_FIELDS = (
    "paid_days",
    "last_paid_day",
    "window_earnings",
    "usual_gap",
    "due_date",
    "overdue_from",
    "trend",
)
SCORE_FIELDS = ("rfm", "segment")
ALL_FIELDS = (*RHYTHM_FIELDS, *SCORE_FIELDS)


def _rhythm_sql(*, some_customers: bool) -> str:
    """``WITH … rhythm``: every customer in scope (the performer's, or those in ``ids``)
    with its rhythm fields as the events say they should be today."""
    of_ids = "AND id = ANY(%(ids)s)" if some_customers else ""
    events_of_ids = "AND e.customer_id = ANY(%(ids)s)" if some_customers else ""
    return "WITH " + rhythm_ctes(
        scope=f"SELECT id FROM {CUSTOMERS} WHERE performer_id = %(performer)s {of_ids}",
        events=f"""
    SELECT e.customer_id, e.occurred_at, e.amount
    FROM {EVENTS} e
    WHERE e.performer_id = %(performer)s {events_of_ids}""",
    )


def rhythm_ctes(*, scope: str, events: str) -> str:
    """The CTEs ``scope, paid, gaps, stats, rhythm`` (to follow a ``WITH``): each ``id`` that
    ``scope`` yields with its rhythm fields as the rows of ``events`` (``customer_id``,
    ``occurred_at``, ``amount``; the key may be any type ``scope``'s ``id`` has) say they
    should be today. Parameters: ``params()``."""
    return f"""scope AS (
    {scope}
),
paid AS (
    SELECT e.customer_id, (e.occurred_at AT TIME ZONE %(zone)s)::date AS day,
           sum(e.amount) AS amount
    FROM ({events}) e
    WHERE e.occurred_at >= %(since)s AND e.amount > 0
    GROUP BY 1, 2
),
gaps AS (
    SELECT customer_id, day, amount,
           day - lag(day) OVER (PARTITION BY customer_id ORDER BY day) AS gap
    FROM paid
),
stats AS (
    SELECT customer_id, count(*) AS paid_days, max(day) AS last_paid_day,
           sum(amount) AS window_earnings,
           -- The median of whole days is a whole or a half: exact in float8.
           CASE WHEN count(*) >= 3
                THEN (percentile_cont(0.5) WITHIN GROUP (ORDER BY gap))::numeric(6, 1)
           END AS usual_gap,
           coalesce(sum(amount) FILTER (WHERE day >= %(recent_start)s), 0) AS recent,
           coalesce(sum(amount) FILTER (
               WHERE day >= %(earlier_start)s AND day < %(recent_start)s), 0) AS earlier
    FROM gaps GROUP BY customer_id
),
rhythm AS (
    SELECT s.id,
           coalesce(t.paid_days, 0) AS paid_days,
           t.last_paid_day,
           coalesce(t.window_earnings, 0) AS window_earnings,
           t.usual_gap,
           -- numeric round(): halves away from zero (up, for these positive gaps).
           t.last_paid_day + round(t.usual_gap)::integer AS due_date,
           t.last_paid_day + ceil(%(threshold)s * t.usual_gap)::integer AS overdue_from,
           CASE WHEN t.earlier > 0 THEN
                    CASE WHEN t.recent > 1.2 * t.earlier THEN 'up'
                         WHEN t.recent < 0.8 * t.earlier THEN 'down'
                         ELSE 'steady' END
                WHEN t.recent > 0 THEN 'new'
                ELSE '' END AS trend
    FROM scope s LEFT JOIN stats t ON t.customer_id = s.id
)
"""


# First match wins; FM is the mean of F and M, halves up. Documented in docs/user-guide.md.
SEGMENT_RULES = (
    ("{r} >= 4 AND {fm} >= 4", "Champions"),
    ("{r} >= 3 AND {fm} >= 3", "Loyal"),
    ("{r} >= 4 AND {fm} = 1", "New"),
    ("{r} >= 3", "Potential"),
    ("{fm} = 5", "Can't lose"),
    ("{fm} >= 3", "At risk"),
    ("{r} = 2", "Hibernating"),
    ("TRUE", "Lost"),
)


def segment_case(alias: str) -> str:
    """The segment of the scores ``{alias}.r``, ``.f`` and ``.m`` (integers 1-5), in SQL."""
    scores = {"r": f"{alias}.r", "fm": f"(({alias}.f + {alias}.m + 1) / 2)"}
    whens = " ".join(
        f"WHEN {rule.format(**scores)} THEN '{name.replace(QUOTE, QUOTE * 2)}'"
        for rule, name in SEGMENT_RULES
    )
    return f"CASE {whens} END"


QUOTE = "'"


# A customer's score is 1 + how many fifths of the performer's paying customers (a paid day
# in the window) do strictly worse (integer division): ties share a score.
_SCORES = f"""
,
paying AS (
    SELECT id,
           1 + (5 * (rank() OVER (ORDER BY last_paid_day) - 1)) / count(*) OVER () AS r,
           1 + (5 * (rank() OVER (ORDER BY paid_days) - 1)) / count(*) OVER () AS f,
           1 + (5 * (rank() OVER (ORDER BY window_earnings) - 1)) / count(*) OVER () AS m
    FROM rhythm WHERE paid_days > 0
),
expected AS (
    SELECT rhythm.*,
           coalesce(p.r::text || p.f::text || p.m::text, '') AS rfm,
           CASE WHEN p.id IS NULL THEN '' ELSE {segment_case("p")} END AS segment
    FROM rhythm LEFT JOIN paying p USING (id)
)"""


def _differs(fields: Collection[str]) -> str:
    return f"({', '.join(f'c.{f}' for f in fields)}) IS DISTINCT FROM " + (
        f"({', '.join(f'x.{f}' for f in fields)})"
    )


def _update(source: str, fields: Collection[str]) -> str:
    return f"""{source}
UPDATE {CUSTOMERS} c SET {", ".join(f"{f} = x.{f}" for f in fields)}
FROM {"expected" if "segment" in fields else "rhythm"} x
WHERE c.id = x.id AND {_differs(fields)}
"""


UPDATE_CUSTOMERS = _update(_rhythm_sql(some_customers=True), RHYTHM_FIELDS)
REFRESH = _update(_rhythm_sql(some_customers=False) + _SCORES, ALL_FIELDS)
# The scores compare customers with each other: they are as of the last refresh, and only
# the fields that the events decide by themselves are drift.
FIND_DRIFT = f"""{_rhythm_sql(some_customers=False)}
SELECT c.id, c.member_name, {", ".join(f"c.{f}" for f in RHYTHM_FIELDS)},
       {", ".join(f"x.{f}" for f in RHYTHM_FIELDS)}
FROM rhythm x JOIN {CUSTOMERS} c ON c.id = x.id
WHERE {_differs(RHYTHM_FIELDS)}
ORDER BY c.member_name
"""


def history_start(today: date) -> date:
    """The same date HISTORY_MONTHS before ``today`` (the last day of that month if it has
    no such date): the first day of the history window."""
    months = today.year * 12 + today.month - 1 - settings.MYCUSTOMERS["HISTORY_MONTHS"]
    year, month = divmod(months, 12)
    month += 1
    next_month = date(year + month // 12, month % 12 + 1, 1)
    return date(year, month, min(today.day, (next_month - timedelta(days=1)).day))


def overdue_threshold() -> Decimal:
    """The factor before rounding from which the factor as shown (one decimal, halves up)
    reaches OVERDUE_FACTOR."""
    shown = Decimal(math.ceil(Decimal(settings.MYCUSTOMERS["OVERDUE_FACTOR"]) * 10)) / 10
    return shown - Decimal("0.05")


def params(performer: Performer, now: datetime | None = None) -> dict:
    zone = performer.zone
    today = timezone.localdate(now or timezone.now(), zone)
    start = history_start(today)
    return {
        "performer": performer.pk,
        "zone": zone.key,
        "since": datetime.combine(start, time.min, zone),
        "recent_start": today - timedelta(days=TREND_DAYS - 1),
        "earlier_start": today - timedelta(days=2 * TREND_DAYS - 1),
        "threshold": overdue_threshold(),
    }


def update_customers(
    cursor, performer: Performer, customer_ids: Collection[int], *, now=None
) -> None:
    """Recompute the rhythm and trend of ``customer_ids`` (locked by the caller, in its
    transaction) from their events."""
    if customer_ids:
        cursor.execute(UPDATE_CUSTOMERS, {**params(performer, now), "ids": sorted(customer_ids)})


def refresh(performer: Performer, *, now: datetime | None = None) -> int:
    """Every insight field of the performer's customers as the events and today say, in one
    statement; returns how many customers changed. Event writers for this performer wait
    meanwhile (their changes would otherwise be overwritten with older values)."""
    with transaction.atomic(), connection.cursor() as cursor:
        lock_performer(cursor, performer.pk, shared=False)
        cursor.execute(REFRESH, params(performer, now))
        return cursor.rowcount


@dataclass(frozen=True)
class Drift:
    customer_id: int
    member_name: str
    differences: dict[str, tuple[object, object]]  # field -> (stored, expected)


def find_drift(performer: Performer, *, now: datetime | None = None) -> list[Drift]:
    """Customers whose stored rhythm and trend differ from a recomputation from the events."""
    with connection.cursor() as cursor:
        cursor.execute(FIND_DRIFT, params(performer, now))
        rows = cursor.fetchall()
    count = len(RHYTHM_FIELDS)
    return [
        Drift(
            customer_id,
            name,
            {
                field: (was, should)
                for field, was, should in zip(
                    RHYTHM_FIELDS, values[:count], values[count:], strict=True
                )
                if was != should
            },
        )
        for customer_id, name, *values in rows
    ]


def explain_refresh(performer: Performer) -> str:
    """EXPLAIN ANALYZE of ``refresh`` for one performer, rolled back (for the bench)."""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS) {REFRESH}", params(performer, None))
        plan = "\n".join(row[0] for row in cursor.fetchall())
        transaction.set_rollback(True)
    return plan
