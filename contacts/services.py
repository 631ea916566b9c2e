"""Recording contact events: the only way events enter the database.

Events are the source of truth; each customer's counters, first/last contact, last contact
type, missed-call timestamps and "new" state are derived from them. ``record_events``
inserts a batch and folds it into the counters in the same transaction, set-based: one
statement for the whole batch, whatever its size, and correct whatever the order in which
events arrive (every rule is a sum, a min or a max).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import NamedTuple

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from contacts import rhythm, sql
from contacts.models import ContactEvent
from contacts.types import ContactType
from mycustomers.models import CustomerStatus, Member, Performer
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

    def validate(self, time_range: tuple[datetime, datetime] | None = None) -> None:
        """Raise EventError unless the event can be recorded; ``time_range`` is
        ``event_time_range()`` computed once by a caller checking many events."""
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
        earliest, latest = time_range or event_time_range()
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


def record_events(*, performer: Performer, events: Sequence[NewEvent]) -> list[RecordedEvent]:
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
        source, params, customers = _stage(cursor, performer.pk, events)
        cursor.execute(sql.record(source), params)
        recorded = [RecordedEvent(*row) for row in cursor.fetchall()]
        _update_rhythm(cursor, performer, events, customers)
        return recorded


def record_valid_events(*, performer: Performer, events: Sequence[NewEvent]) -> int:
    """``record_events`` for events already checked with ``NewEvent.validate`` (an import
    validates each row as it parses it, to name its line). Returns how many were inserted.

    A large batch is staged and each of its customers written once (``sql`` "Importing a
    staged batch"); should a concurrent writer record one of its references meanwhile, the
    batch is recorded again the way ``record_events`` does it."""
    if not events:
        return 0
    if len(events) >= COPY_FROM:
        try:
            with transaction.atomic():
                return _record_staged(performer, events)
        except _Raced:
            pass  # rolled back to before the batch: the way below skips what is recorded
    with transaction.atomic(), connection.cursor() as cursor:
        source, params, customers = _stage(cursor, performer.pk, events)
        cursor.execute(sql.record(source, then=sql.COUNT_EVENTS), params)
        inserted = cursor.fetchone()[0]
        _update_rhythm(cursor, performer, events, customers)
        return inserted


class _Raced(Exception):
    """A staged reference was recorded after the batch was checked for it."""


def _record_staged(performer: Performer, events: Sequence[NewEvent]) -> int:
    params = {**rhythm.params(performer), **_STATUS_PARAMS}
    with connection.cursor() as cursor:
        lock_performer(cursor, performer.pk, shared=True)
        _copy_to_stage(cursor, events)
        cursor.execute(sql.IMPORT_MEMBERS)
        cursor.execute(sql.MARK_RECORDED, params)
        expected = len(events) - cursor.rowcount
        cursor.execute(sql.CREATE_BATCH_CUSTOMERS)
        cursor.execute(sql.INSERT_NEW_CUSTOMERS, params)
        cursor.execute(sql.LOCK_KNOWN_CUSTOMERS, params)
        try:
            cursor.execute(sql.INSERT_STAGED_EVENTS, params)
        except IntegrityError as exc:
            if getattr(exc.__cause__, "diag", None) is None:
                raise
            if exc.__cause__.diag.constraint_name != sql.UNIQUE_REFERENCE:
                raise
            raise _Raced from exc
        cursor.execute(sql.FOLD_INTO_KNOWN_CUSTOMERS, params)
    return expected


def record_mail_sent(
    *, performer: Performer, customers_sql: str, mail_id: int, occurred_at: datetime, summary: str
) -> int:
    """Record one ``mail_sent`` event for every customer id ``customers_sql`` yields (the
    performer's own, active ones) and link each to the mail's delivery; one statement,
    with no per-recipient values travelling from Python. Returns how many were recorded.

    The caller holds the performer's exclusive write lock (``selected``), so no event
    batch is in flight for these customers.
    """
    if not summary or len(summary) > MAX_SUMMARY:
        raise EventError(f"summary must be 1–{MAX_SUMMARY} characters")
    with connection.cursor() as cursor:
        cursor.execute(
            sql.record(sql.mail_sent_source(customers_sql), then=sql.LINK_DELIVERIES),
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


# From this many events a batch travels by COPY (a few times cheaper a row than parameter
# arrays), below it as arrays: COPY costs a fixed round trip more per call, and a live event
# is recorded on its own.
COPY_FROM = 500


def _stage(
    cursor, performer_id: int, events: Sequence[NewEvent]
) -> tuple[str, dict, dict[str, int]]:
    """Create the members and customers ``events`` name, lock those customers, and send
    the events to the server. Returns the SQL of the events with their customers (for
    ``sql.record``), its parameters, and the customer ids by member name."""
    names = sorted({event.member_name for event in events})
    customer_ids = _ensure_customers(cursor, performer_id, names)
    params = {"performer": performer_id, **_STATUS_PARAMS}
    if len(events) >= COPY_FROM:
        _copy_to_stage(cursor, events)
        return sql.STAGED_SOURCE, params, customer_ids
    params.update(
        customer_ids=[customer_ids[event.member_name] for event in events],
        types=[event.type for event in events],
        times=[event.occurred_at for event in events],
        amounts=[event.amount for event in events],
        quantities=[event.quantity for event in events],
        references=[event.reference for event in events],
        summaries=[event.summary for event in events],
    )
    return sql.ARRAY_SOURCE, params, customer_ids


def _update_rhythm(cursor, performer: Performer, events, customers: dict[str, int]) -> None:
    """Only paid events move a customer's rhythm (an event already recorded changes nothing
    either, but telling it apart costs more than recomputing)."""
    paid = {customers[event.member_name] for event in events if event.amount > 0}
    rhythm.update_customers(cursor, performer, paid)


def _ensure_customers(cursor, performer_id: int, names: list[str]) -> dict[str, int]:
    """Create missing members and customers, then lock the customers in id order.

    Locking in a fixed order first keeps concurrent batches that touch the same
    customers from deadlocking in the counter update; the shared performer lock keeps
    them from deadlocking with a mass action (mycustomers.selection.lock_performer).
    """
    lock_performer(cursor, performer_id, shared=True)
    params = {"names": names, "performer": performer_id, "active": CustomerStatus.ACTIVE}
    cursor.execute(sql.ENSURE_CUSTOMERS, params)
    cursor.execute(sql.LOCK_CUSTOMERS, params)
    return dict(cursor.fetchall())


def _copy_to_stage(cursor, events: Sequence[NewEvent]) -> None:
    cursor.execute(sql.CREATE_STAGE)
    with cursor.copy(sql.COPY_STAGE) as copy:
        for event in events:
            copy.write_row(event)
    cursor.execute(sql.ANALYZE_STAGE)


_STATUS_PARAMS = {"active": CustomerStatus.ACTIVE, "deleted": CustomerStatus.DELETED}
