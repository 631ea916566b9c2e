"""Recording contact events: the only way events enter the database.

Events are the source of truth; each customer's counters, first/last contact, last contact
type, missed-call timestamps and "new" state are derived from them. ``record_events``
inserts a batch and folds it into the counters in the same transaction, set-based: one
statement for the whole batch, whatever its size, and correct whatever the order in which
events arrive (every rule is a sum, a min or a max).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import NamedTuple

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from contacts.models import ContactEvent, MailDelivery
from contacts.types import EFFECTS, ContactType, MissedCall
from mycustomers.models import COUNTER_FIELDS, Customer, CustomerStatus, Member
from mycustomers.selection import lock_performer

MAX_MEMBER_NAME = Member._meta.get_field("name").max_length
MAX_REFERENCE = ContactEvent._meta.get_field("reference").max_length
MAX_SUMMARY = ContactEvent._meta.get_field("summary").max_length
MAX_AMOUNT = Decimal("99999999.99")
# ContactType.values builds a new list on every access: too slow for a check per imported row.
TYPE_CODES = frozenset(ContactType.values)


class EventError(ValueError):
    """An event that cannot be recorded; the message says why."""


class NewEvent(NamedTuple):
    """One event to record. A plain tuple (cheap to build by the million in an import),
    whose fields are the columns of the staging table it is copied into."""

    member_name: str
    type: str
    occurred_at: datetime
    amount: Decimal = Decimal("0")
    quantity: int = 1
    reference: str | None = None
    summary: str = ""

    def validate(self) -> None:
        if not self.member_name or len(self.member_name) > MAX_MEMBER_NAME:
            raise EventError(f"member name must be 1–{MAX_MEMBER_NAME} characters")
        if self.member_name != self.member_name.strip():
            raise EventError("member name has leading or trailing spaces")
        if "\x00" in self.member_name or "\x00" in self.summary or "\x00" in (self.reference or ""):
            raise EventError("text contains a NUL character, which cannot be stored")
        if self.type not in TYPE_CODES:
            raise EventError(f"unknown contact type {self.type!r}")
        if self.occurred_at.tzinfo is None:
            raise EventError("occurred_at needs a UTC offset")
        earliest, latest = event_time_range()
        if not earliest <= self.occurred_at <= latest:
            raise EventError(
                f"occurred_at {self.occurred_at.isoformat()} is outside the accepted range "
                f"({earliest:%Y-%m-%d} to {latest:%Y-%m-%d %H:%M} UTC)"
            )
        if not isinstance(self.amount, Decimal) or not self.amount.is_finite():
            raise EventError("amount must be a decimal number")
        if self.amount < 0 or self.amount > MAX_AMOUNT or self.amount != round(self.amount, 2):
            raise EventError("amount must be between 0 and 99,999,999.99 with at most 2 decimals")
        if not isinstance(self.quantity, int) or not 1 <= self.quantity <= 1_000_000:
            raise EventError("quantity must be a whole number from 1 to 1,000,000")
        if self.reference is not None and not 1 <= len(self.reference) <= MAX_REFERENCE:
            raise EventError(f"reference must be 1–{MAX_REFERENCE} characters")
        if len(self.summary) > MAX_SUMMARY:
            raise EventError(f"summary must be at most {MAX_SUMMARY} characters")


def event_time_range(now: datetime | None = None) -> tuple[datetime, datetime]:
    """The earliest and latest time an event may have (settings EVENT_TIME_MIN and
    EVENT_TIME_MAX_AHEAD)."""
    rules = settings.MYCUSTOMERS
    return rules["EVENT_TIME_MIN"], (now or timezone.now()) + rules["EVENT_TIME_MAX_AHEAD"]


@dataclass(frozen=True)
class RecordedEvent:
    id: int
    customer_id: int
    reference: str | None


def record_events(*, performer, events: Sequence[NewEvent]) -> list[RecordedEvent]:
    """Insert ``events`` for ``performer`` and update the affected customers' counters.

    Members and customers are created as needed; a deleted customer who contacts the
    performer again comes back (A5). An event whose (performer, reference) is already
    recorded is skipped, so re-importing a file is harmless. Returns the inserted events.
    """
    for event in events:
        event.validate()
    if not events:
        return []
    with transaction.atomic(), connection.cursor() as cursor:
        source, params = _stage(cursor, performer.pk, events)
        cursor.execute(_record_sql(source), params)
        return [RecordedEvent(*row) for row in cursor.fetchall()]


def record_valid_events(*, performer, events: Sequence[NewEvent]) -> int:
    """``record_events`` for events already checked with ``NewEvent.validate`` (an import
    validates each row as it parses it, to name its line). Returns how many were inserted."""
    if not events:
        return 0
    with transaction.atomic(), connection.cursor() as cursor:
        source, params = _stage(cursor, performer.pk, events)
        cursor.execute(_record_sql(source, then="SELECT count(*) FROM new_events"), params)
        return cursor.fetchone()[0]


def record_mail_sent(
    *, performer, customers_sql: str, mail_id: int, occurred_at: datetime, summary: str
) -> int:
    """Record one ``mail_sent`` event for every customer id ``customers_sql`` yields (the
    performer's own, active ones) and link each to the mail's delivery; one statement,
    with no per-recipient values travelling from Python. Returns how many were recorded.

    The caller holds the performer's exclusive write lock (``selected``), so no event
    batch is in flight for these customers.
    """
    if not summary or len(summary) > MAX_SUMMARY:
        raise EventError(f"summary must be 1–{MAX_SUMMARY} characters")
    source = f"""
        SELECT c.id, %(type)s, %(at)s::timestamptz, 0::numeric, 1, NULL::text, %(summary)s
        FROM {Customer._meta.db_table} c
        WHERE c.id IN ({customers_sql}) AND c.performer_id = %(performer)s
        ORDER BY c.id
    """
    deliveries = f"""
        INSERT INTO {MailDelivery._meta.db_table} (performer_id, mail_id, customer_id, event_id)
        SELECT %(performer)s, %(mail)s, customer_id, id FROM new_events
    """
    with connection.cursor() as cursor:
        cursor.execute(
            _record_sql(source, then=deliveries),
            {
                "performer": performer.pk,
                "mail": mail_id,
                "type": ContactType.MAIL_SENT,
                "at": occurred_at,
                "summary": summary,
                **_STATUS_PARAMS,
            },
        )
        return cursor.rowcount


_STAGE = "event_stage"
_STAGE_COLUMNS = ", ".join(NewEvent._fields)
# From this many events a batch travels by COPY (~3 µs a row, against ~10 µs as parameter
# arrays), below it as arrays: COPY costs ~1 ms more per call, and a live event is
# recorded on its own.
COPY_FROM = 500


def _stage(cursor, performer_id: int, events: Sequence[NewEvent]) -> tuple[str, dict]:
    """Create the members and customers ``events`` name, lock those customers, and send
    the events to the server. Returns the SQL of the events with their customers (for
    ``_record_sql``) and its parameters."""
    names = sorted({event.member_name for event in events})
    customer_ids = _ensure_customers(cursor, performer_id, names)
    params = {"performer": performer_id, **_STATUS_PARAMS}
    if len(events) >= COPY_FROM:
        _copy_to_stage(cursor, events)
        return _STAGED_SOURCE, params
    params.update(
        customer_ids=[customer_ids[event.member_name] for event in events],
        types=[event.type for event in events],
        times=[event.occurred_at for event in events],
        amounts=[event.amount for event in events],
        quantities=[event.quantity for event in events],
        references=[event.reference for event in events],
        summaries=[event.summary for event in events],
    )
    return _ARRAY_SOURCE, params


def _ensure_customers(cursor, performer_id: int, names: list[str]) -> dict[str, int]:
    """Create missing members and customers, then lock the customers in id order.

    Locking in a fixed order first keeps concurrent batches that touch the same
    customers from deadlocking in the counter update; the shared performer lock keeps
    them from deadlocking with a mass action (mycustomers.selection.lock_performer).
    """
    lock_performer(cursor, performer_id, shared=True)
    cursor.execute(
        f"""
        INSERT INTO {Member._meta.db_table} (name, photo_url, joined_at)
        SELECT name, '', now() FROM unnest(%(names)s::text[]) AS name
        ON CONFLICT (name) DO NOTHING;
        INSERT INTO {Customer._meta.db_table} ({", ".join(_CUSTOMER_COLUMNS)})
        SELECT %(performer)s, m.id, m.name, {", ".join(_CUSTOMER_DEFAULTS)}
        FROM {Member._meta.db_table} m WHERE m.name = ANY(%(names)s::text[])
        ORDER BY m.name
        ON CONFLICT (performer_id, member_id) DO NOTHING;
        """,
        {"names": names, "performer": performer_id, "active": CustomerStatus.ACTIVE},
    )
    # Found through the member's unique name and (performer, member): both indexed.
    cursor.execute(
        f"""
        SELECT m.name, c.id
        FROM {Member._meta.db_table} m
        JOIN {Customer._meta.db_table} c ON c.performer_id = %s AND c.member_id = m.id
        WHERE m.name = ANY(%s::text[])
        ORDER BY c.id FOR UPDATE OF c
        """,
        [performer_id, names],
    )
    return dict(cursor.fetchall())


def _copy_to_stage(cursor, events: Sequence[NewEvent]) -> None:
    """COPY ``events`` into this session's staging table (created on first use; ON COMMIT
    DELETE ROWS empties it at commit, and DELETE drops an earlier batch of the same
    transaction, as in an atomic import)."""
    cursor.execute(
        f"""
        CREATE TEMPORARY TABLE IF NOT EXISTS {_STAGE} (
            member_name text, type text, occurred_at timestamptz, amount numeric,
            quantity integer, reference text, summary text,
            ord bigint GENERATED ALWAYS AS IDENTITY
        ) ON COMMIT DELETE ROWS;
        DELETE FROM {_STAGE};
        """
    )
    with cursor.copy(f"COPY {_STAGE} ({_STAGE_COLUMNS}) FROM STDIN") as copy:
        for event in events:
            copy.write_row(event)
    cursor.execute(f"ANALYZE {_STAGE}")  # temporary tables have no statistics until analysed


_CUSTOMER_COLUMNS = [
    "performer_id",
    "member_id",
    "member_name",
    "nickname",
    "status",
    "follow_up",
    "affiliate_referral",
    "new_cleared",
    "list_names",
    *COUNTER_FIELDS,
    "earnings",
    "last_contact_type",
    "created_at",
]
_CUSTOMER_DEFAULTS = [
    "''",
    "%(active)s",
    "''",
    "false",
    "false",
    "''",
    *("0" for _ in COUNTER_FIELDS),
    "0",
    "''",
    "now()",
]


def _sql_list(codes: Iterable[str]) -> str:
    # Codes come from the ContactType enumeration, never from input.
    return ", ".join(f"'{code}'" for code in codes) or "NULL"


def _counter_sums() -> str:
    sums = []
    for field in COUNTER_FIELDS:
        by_one = [c for c, e in EFFECTS.items() if e.counter == field and not e.by_quantity]
        by_quantity = [c for c, e in EFFECTS.items() if e.counter == field and e.by_quantity]
        sums.append(
            f"coalesce(sum(CASE WHEN type IN ({_sql_list(by_one)}) THEN 1 "
            f"WHEN type IN ({_sql_list(by_quantity)}) THEN quantity END), 0) AS {field}"
        )
    return ",\n            ".join(sums)


_SETS_MISSED = _sql_list(c for c, e in EFFECTS.items() if e.missed_call is MissedCall.SETS)
_CLEARS_MISSED = _sql_list(c for c, e in EFFECTS.items() if e.missed_call is MissedCall.CLEARS)
_CLEARS_NEW = _sql_list(c for c, e in EFFECTS.items() if e.clears_new)

_STATUS_PARAMS = {"active": CustomerStatus.ACTIVE, "deleted": CustomerStatus.DELETED}

# Rows of (customer_id, type, occurred_at, amount, quantity, reference, summary), in order.
_ARRAY_SOURCE = """
    SELECT * FROM unnest(
        %(customer_ids)s::bigint[], %(types)s::text[], %(times)s::timestamptz[],
        %(amounts)s::numeric[], %(quantities)s::integer[], %(references)s::text[],
        %(summaries)s::text[]
    )
"""
_STAGED_SOURCE = f"""
    SELECT c.id, s.type, s.occurred_at, s.amount, s.quantity, s.reference, s.summary
    FROM {_STAGE} s
    JOIN {Member._meta.db_table} m ON m.name = s.member_name
    JOIN {Customer._meta.db_table} c ON c.performer_id = %(performer)s AND c.member_id = m.id
    ORDER BY s.ord
"""
_RETURN_EVENTS = "SELECT id, customer_id, reference FROM new_events ORDER BY id"


def _record_sql(source: str, *, then: str = _RETURN_EVENTS) -> str:
    """One statement: insert the events ``source`` yields, fold them into their customers'
    counters, then run ``then`` (which may read ``new_events``)."""
    return f"""
WITH new_events AS (
    INSERT INTO {ContactEvent._meta.db_table}
        (performer_id, customer_id, type, occurred_at, amount, quantity, reference, summary,
         recorded_at)
    SELECT %(performer)s, e.*, now() FROM ({source}) AS e
    ON CONFLICT (performer_id, reference) WHERE reference IS NOT NULL DO NOTHING
    RETURNING id, customer_id, type, occurred_at, amount, quantity, reference
),
latest AS (
    SELECT DISTINCT ON (customer_id) customer_id, occurred_at, type
    FROM new_events ORDER BY customer_id, occurred_at DESC, id DESC
),
totals AS (
    SELECT customer_id,
            {_counter_sums()},
            sum(amount) AS earnings,
            min(occurred_at) AS first_contact,
            max(occurred_at) FILTER (WHERE type IN ({_SETS_MISSED})) AS missed_at,
            max(occurred_at) FILTER (WHERE type IN ({_CLEARS_MISSED})) AS cleared_at,
            bool_or(type IN ({_CLEARS_NEW})) AS clears_new
    FROM new_events GROUP BY customer_id
),
updated AS (
    UPDATE {Customer._meta.db_table} c SET
        {", ".join(f"{f} = c.{f} + t.{f}" for f in COUNTER_FIELDS)},
        earnings = c.earnings + t.earnings,
        first_contact = LEAST(c.first_contact, t.first_contact),
        -- ">=": of events at the same instant, the one recorded last wins, as in a recount.
        last_contact_type = CASE WHEN c.last_contact IS NULL OR l.occurred_at >= c.last_contact
                                 THEN l.type ELSE c.last_contact_type END,
        last_contact = GREATEST(c.last_contact, l.occurred_at),
        last_missed_call_at = GREATEST(c.last_missed_call_at, t.missed_at),
        missed_call_cleared_at = GREATEST(c.missed_call_cleared_at, t.cleared_at),
        new_cleared = c.new_cleared OR t.clears_new,
        status = CASE WHEN c.status = %(deleted)s THEN %(active)s ELSE c.status END,
        status_changed_at = CASE WHEN c.status = %(deleted)s THEN now()
                                 ELSE c.status_changed_at END
    FROM totals t JOIN latest l USING (customer_id)
    WHERE c.id = t.customer_id
    RETURNING c.id
)
{then}
"""
