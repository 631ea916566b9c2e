"""Loading a performer file (``mycustomers.portability.format``), all of it or nothing.

The file is read in one pass, in one transaction: each line is checked as it is read (the
first bad one stops the import, named by its number) and its row goes into a batch that is
written with ``COPY``. Rows that later lines refer to get their new id when they are read
(taken from the table's sequence), so the map from file ids to new ids holds only
customers, lists, smart lists and mails; events (most of a file) get theirs from COPY and
are never held beyond their batch. The performer's write lock is held throughout, so no
event of theirs is recorded meanwhile.

Counters and first/last contact are imported as stored and then checked against a recount
of the imported events (``contacts.reconcile``), the rhythm and segments likewise
(``contacts.rhythm``); what differs is repaired and reported. Each customer's list names
are recomputed from the imported memberships. The performer gets a new data version.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field
from datetime import datetime
from typing import IO, Any

import psycopg
from django.db import DatabaseError, connection, models, transaction

from contacts import rhythm
from contacts.models import (
    Activity,
    ActivityCustomer,
    ContactEvent,
    Feedback,
    Mail,
    MailDelivery,
    Note,
    Offer,
)
from contacts.reconcile import find_drift, fix_drift
from lists.models import CustomerList, Membership, SmartList
from lists.services import refresh_list_names
from mycustomers.models import Customer, MassAction, Member, Performer, SavedView
from mycustomers.portability.format import (
    BY_NAME,
    END,
    FORMAT,
    LINE_TYPES,
    QUERY_KEYS,
    VERSION,
    BadLine,
    BadValue,
    LineType,
    checker,
    map_list_ids,
    parse_line,
    read_lines,
)
from mycustomers.selection import lock_performer, selected

BATCH = 5_000
ORDER = {t.name: position for position, t in enumerate(LINE_TYPES)}
# Everything of a performer that --replace deletes, rows that refer to others first. Mass
# actions are the worker's state, not data (they are not exported), but refer to mails.
WIPED = (
    MassAction,
    Activity,
    Feedback,
    Offer,
    Note,
    MailDelivery,
    ContactEvent,
    Mail,
    SavedView,
    SmartList,
    Membership,
    CustomerList,
    Customer,
)
_COPY_LINE = re.compile(r"COPY \w+, line (\d+)")
_check_username = checker(Performer._meta.get_field("username"))


class ImportRefused(Exception):
    """Nothing was imported; ``str()`` is what the operator reads."""


@dataclass
class ImportResult:
    performer: str
    replaced: bool
    lines: dict[str, int]
    recounted: int = 0  # customers whose stored counters differed from their events
    refreshed: int = 0  # customers whose rhythm or segment the refresh changed
    elapsed: float = 0.0

    def summary(self) -> str:
        counted = ", ".join(f"{n:,} {name}" for name, n in self.lines.items() if n)
        action = "Replaced the data of" if self.replaced else "Imported"
        text = f"{action} {self.performer} in {self.elapsed:.1f} s: {counted}."
        if self.recounted:
            text += f" Recounted {self.recounted:,} customers whose counters differed from events."
        if self.refreshed:
            text += f" Refreshed the rhythm or segment of {self.refreshed:,} customers."
        return text


def import_performer(
    stream: IO[bytes],
    *,
    as_name: str | None = None,
    replace: bool = False,
    batch_size: int = BATCH,
) -> ImportResult:
    """Import the file read from ``stream``: a new performer (named as in the file, or
    ``as_name``), or with ``replace`` an existing one whose data is deleted first. Raises
    ImportRefused, having written nothing, for a file or a name it cannot take."""
    started = time.monotonic()
    if as_name is not None:
        try:
            _check_username(as_name)
        except BadValue as error:
            raise ImportRefused(f"--as {as_name!r}: the name {error}.") from None
    try:
        with transaction.atomic():
            result = _Loader(as_name=as_name, replace=replace, batch_size=batch_size).load(
                read_lines(stream)
            )
    except BadLine as error:
        raise ImportRefused(str(error)) from None
    except (DatabaseError, psycopg.Error) as error:  # e.g. a deferred check at commit
        raise ImportRefused(f"the database refused the file: {_reason(error)}") from None
    result.elapsed = time.monotonic() - started
    return result


@dataclass
class _Batch:
    table: str
    columns: tuple[str, ...]
    rows: list[tuple] = field(default_factory=list)
    lines: list[int] = field(default_factory=list)


def _columns(line_type: LineType) -> tuple[str, ...]:
    """The table columns a line fills, in the order of ``_Loader._row``."""
    return (
        "performer_id",
        *(("id",) if line_type.has_id else ()),
        *(("member_id", "member_name") if line_type.name == "customer" else ()),
        *(ref.column for ref in line_type.refs if ref.column),
        *(f.column for f in line_type.fields),
        # A delivery line's delivery has no event; an event line's has that event.
        *(("event_id",) if line_type.name == "delivery" else ()),
    )


class _Loader:
    def __init__(self, *, as_name: str | None, replace: bool, batch_size: int):
        self.as_name = as_name
        self.replace = replace
        self.batch_size = batch_size
        self.performer: Performer | None = None
        self.replaced = False
        self.ended = False
        self.counts = {t.name: 0 for t in LINE_TYPES}
        # File id -> new id, for the line types that others refer to.
        self.ids: dict[str, dict[int, int]] = {t.name: {} for t in LINE_TYPES if t.has_id}
        self.unused_ids: dict[str, list[int]] = {}
        self.batches = {
            t.name: _Batch(t.model._meta.db_table, _columns(t))
            for t in LINE_TYPES
            if t.model is not Performer
        }
        self.members: dict[str, tuple[str, datetime]] = {}  # of the batch of customers
        self.rules = {t.name: t.rule() for t in LINE_TYPES if t.rule}
        # (position in the batch of events, line, mail, customer) of the events that delivered
        # a mail; and the id of the last event copied.
        self.deliveries: list[tuple[int, int, int, int]] = []
        self.last_event_id: int | None = None

    def load(self, lines) -> ImportResult:
        number, position = 0, 0
        for number, text in lines:
            if number == 1:
                _check_header(text)
                continue
            if not text.strip():
                continue
            if self.ended:
                raise BadLine(number, "a line after the end line")
            record = parse_line(number, text)
            kind = record.get("type")
            if kind == END:
                self._end(number, record)
                continue
            line_type = BY_NAME.get(kind) if isinstance(kind, str) else None
            if line_type is None:
                raise BadLine(
                    number,
                    f"unknown line type {kind!r}; expected one of "
                    f"{', '.join(t.name for t in LINE_TYPES)} or {END}",
                )
            if ORDER[kind] < position or (kind == "performer" and self.performer is not None):
                raise BadLine(
                    number,
                    f"a {kind} line after the {LINE_TYPES[position].name} lines: "
                    f"lines come type by type, in the order {', '.join(ORDER)}",
                )
            if self.performer is None and kind != "performer":
                raise BadLine(number, "the performer line must come first, after the header")
            if ORDER[kind] > position > 0:  # the previous type is complete
                self._flush(LINE_TYPES[position].name)
            position = ORDER[kind]
            values = self._values(number, line_type, record)
            self.counts[kind] += 1
            self._take(number, line_type, values)
        if number == 0:
            raise BadLine(1, f"the file is empty; expected a header {_expected_header()}")
        if not self.ended:
            raise BadLine(number + 1, f"the file ends without its {END} line: it is truncated")
        return self._finish()

    # -- one line ------------------------------------------------------------------------

    def _values(self, number: int, line_type: LineType, record: dict) -> dict[str, Any]:
        if record.keys() != line_type.key_set:
            missing = [k for k in line_type.keys if k not in record]
            if missing:
                raise BadLine(number, f"a {line_type.name} line lacks {', '.join(missing)}")
            unknown = ", ".join(repr(k) for k in record if k not in line_type.key_set)
            raise BadLine(number, f"a {line_type.name} line has unknown key(s) {unknown}")
        values: dict[str, Any] = {}
        for key, check in line_type.checkers:
            try:
                values[key] = check(record[key])
            except BadValue as error:
                raise BadLine(number, f"{line_type.name} {key} {error}") from None
        if line_type.has_id:
            values["id"] = self._file_id(number, line_type, record["id"])
        for ref in line_type.refs:
            target = record[ref.key]
            if target is None and ref.null:
                values[ref.key] = None
                continue
            new_id = self.ids[ref.target].get(target) if type(target) is int else None
            if new_id is None:
                raise BadLine(
                    number, f"{ref.key} {target!r} is the id of no {ref.target} line above this one"
                )
            values[ref.key] = new_id
        rule = self.rules.get(line_type.name)
        reason = rule(values) if rule else None
        if reason:
            raise BadLine(number, f"{line_type.name}: {reason}")
        return values

    def _file_id(self, number: int, line_type: LineType, file_id: Any) -> int:
        if type(file_id) is not int or file_id < 1:
            raise BadLine(number, f"{line_type.name} id must be a whole number above 0")
        own = self.ids[line_type.name]
        if file_id in own:
            raise BadLine(number, f"a second {line_type.name} line with id {file_id}")
        own[file_id] = self._new_id(line_type.model)
        return own[file_id]

    def _new_id(self, model: type[models.Model]) -> int:
        """The next id of ``model``'s table, taken from its sequence a batch at a time."""
        unused = self.unused_ids.setdefault(model._meta.db_table, [])
        if not unused:
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
                    [model._meta.db_table, self.batch_size],
                )
                unused.extend(sorted((row[0] for row in cursor.fetchall()), reverse=True))
        return unused.pop()

    def _take(self, number: int, line_type: LineType, values: dict[str, Any]) -> None:
        if line_type.name == "performer":
            self._performer(values)
            return
        if line_type.name in QUERY_KEYS:
            key = QUERY_KEYS[line_type.name]
            values[key] = map_list_ids(values[key], self.ids["list"], self.ids["smart_list"])
        if line_type.name == "customer":
            self.members[values["member"]] = (
                values["member_photo_url"],
                values["member_joined_at"],
            )
        if line_type.name == "event" and values["mail"] is not None:
            # Its delivery, once the event has its id (see _event_ids).
            at = len(self.batches["event"].rows)
            self.deliveries.append((at, number, values["mail"], values["customer"]))
        self._add(line_type.name, number, self._row(line_type, values))

    def _row(self, line_type: LineType, values: dict[str, Any]) -> tuple:
        row = [self.performer.pk]
        if "id" in values:
            row.append(values["id"])
        if line_type.name == "customer":
            row += [None, values["member"]]  # the member's id once the batch is written
        row += [values[ref.key] for ref in line_type.refs if ref.column]
        row += [values[key] for key in line_type.field_keys]
        if line_type.name == "delivery":
            row.append(None)
        return tuple(row)

    def _add(self, name: str, number: int, row: tuple) -> None:
        batch = self.batches[name]
        batch.rows.append(row)
        batch.lines.append(number)
        if len(batch.rows) >= self.batch_size:
            self._flush(name)

    # -- the performer -------------------------------------------------------------------

    def _performer(self, values: dict[str, Any]) -> None:
        username = self.as_name or values["username"]
        account = {k: v for k, v in values.items() if k != "username"}
        existing = Performer.objects.select_for_update().filter(username=username).first()
        if existing is not None and not self.replace:
            raise ImportRefused(
                f"A performer named {username!r} already exists: add --replace to replace "
                "their data with the file's, or --as NEWNAME to import it under another name."
            )
        if existing is not None:
            self._wipe(existing)
            for name, value in account.items():
                setattr(existing, name, value)
            existing.save(update_fields=list(account))
            self.performer, self.replaced = existing, True
            return
        performer = Performer(username=username, **account)
        performer.set_unusable_password()  # the file holds no password: set one to log in
        performer.save()
        with connection.cursor() as cursor:
            lock_performer(cursor, performer.pk, shared=False)  # see _event_ids
        self.performer = performer

    @staticmethod
    def _wipe(performer: Performer) -> None:
        running = MassAction.objects.for_performer(performer).filter(state=MassAction.State.RUNNING)
        if running.exists():
            raise ImportRefused(
                f"{performer.username} has a mass action running: let it finish (or stop "
                "it) before replacing their data."
            )
        with connection.cursor() as cursor:
            lock_performer(cursor, performer.pk, shared=False)  # no event batch in flight
            # The links of shared activity entries first: they keep no database key.
            cursor.execute(
                f"DELETE FROM {ActivityCustomer._meta.db_table} WHERE performer_id = %s",
                [performer.pk],
            )
            for model in WIPED:
                cursor.execute(
                    f"DELETE FROM {model._meta.db_table} WHERE performer_id = %s", [performer.pk]
                )

    # -- writing -------------------------------------------------------------------------

    def _flush(self, name: str) -> None:
        batch = self.batches[name]
        if not batch.rows:
            return
        if name == "customer":
            self._resolve_members(batch)
        if name == "event" and self.last_event_id is None:
            self.last_event_id = _last_event_id()  # what was handed out before our events
        self._copy(batch)
        if name == "event":
            self._deliver(self._event_ids(len(batch.rows)))
        batch.rows.clear()
        batch.lines.clear()

    def _copy(self, batch: _Batch) -> None:
        try:
            with (
                connection.cursor() as cursor,
                cursor.copy(f"COPY {batch.table} ({', '.join(batch.columns)}) FROM STDIN") as copy,
            ):
                for row in batch.rows:
                    copy.write_row(row)
        except psycopg.Error as error:
            found = _COPY_LINE.search(error.diag.context or "")
            index = int(found.group(1)) - 1 if found else 0
            line = batch.lines[index] if index < len(batch.lines) else batch.lines[0]
            raise BadLine(line, _reason(error)) from None

    def _event_ids(self, count: int) -> list[int]:
        """The ids the last ``count`` events copied got, in the file's order.

        Events are most of a file: taking their ids from the sequence one by one, as for
        the rows that later lines point to, cost a fifth of an import. COPY numbers rows in
        their order, and no one else adds this performer's events meanwhile (every event
        writer takes the performer's lock, which the import holds), so they are this
        performer's events between the last id seen and the sequence's value now. Those ids
        are looked up one by one in the primary key, and the performer compared here: with
        the performer in the query, the planner (which has no statistics of rows not yet
        committed) read every event imported so far, for each batch.
        """
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT id, performer_id FROM {ContactEvent._meta.db_table} "
                "WHERE id = ANY(ARRAY(SELECT generate_series(%s::bigint, %s::bigint))) "
                "ORDER BY id",
                [self.last_event_id + 1, _last_event_id()],
            )
            ids = [
                id for id, performer_id in cursor.fetchall() if performer_id == self.performer.pk
            ]
        if len(ids) != count:  # cannot happen while the lock is held
            raise ImportRefused("events of this performer were recorded during the import")
        self.last_event_id = ids[-1]
        return ids

    def _deliver(self, event_ids: list[int]) -> None:
        for at, number, mail_id, customer_id in self.deliveries:
            self._add("delivery", number, (self.performer.pk, mail_id, customer_id, event_ids[at]))
        self.deliveries.clear()

    def _resolve_members(self, batch: _Batch) -> None:
        """Members are platform-wide: create those of the batch that do not exist yet (with
        the file's photo and joining time), then put each customer's member id in its row."""
        names = list(self.members)
        with connection.cursor() as cursor:
            cursor.execute(
                f"""
                INSERT INTO {Member._meta.db_table} (name, photo_url, joined_at)
                SELECT * FROM unnest(%s::text[], %s::text[], %s::timestamptz[]) ORDER BY 1
                ON CONFLICT (name) DO NOTHING
                """,
                [names, *map(list, zip(*self.members.values(), strict=True))],
            )
            cursor.execute(
                f"SELECT name, id FROM {Member._meta.db_table} WHERE name = ANY(%s)", [names]
            )
            member_ids = dict(cursor.fetchall())
        # (performer, id, member id, member name, ...): see _row.
        batch.rows[:] = [(*row[:2], member_ids[row[3]], *row[3:]) for row in batch.rows]
        self.members.clear()

    def _end(self, number: int, record: dict) -> None:
        lines = record.get("lines")
        if set(record) != {"type", "lines"} or not isinstance(lines, dict):
            raise BadLine(number, 'the end line must be {"type": "end", "lines": {type: count}}')
        for name, count in self.counts.items():
            if lines.get(name, 0) != count:
                raise BadLine(
                    number,
                    f"the end line counts {lines.get(name, 0)!r} {name} lines, but the file "
                    f"holds {count}: lines are missing or were added",
                )
        unknown = set(lines) - set(self.counts)
        if unknown:
            raise BadLine(number, f"the end line counts unknown line types {sorted(unknown)}")
        self.ended = True

    def _finish(self) -> ImportResult:
        for line_type in LINE_TYPES[1:]:
            self._flush(line_type.name)
        self._flush("delivery")  # those of the last events
        performer = self.performer
        result = ImportResult(performer.username, self.replaced, self.counts)
        with connection.cursor() as cursor:
            # The recounts below are planned with statistics of the new rows (without, a
            # recount after a large load was planned as nested loops: see reconcile_counters).
            cursor.execute(
                f"ANALYZE {ContactEvent._meta.db_table}, {Customer._meta.db_table}, "
                f"{Membership._meta.db_table}"
            )
        with selected(Customer.objects.for_performer(performer), performer=performer) as chosen:
            refresh_list_names(chosen)
        if find_drift([performer.pk]):
            result.recounted = fix_drift([performer.pk])
        if rhythm.find_drift(performer):
            result.refreshed = rhythm.refresh(performer)
        with connection.cursor() as cursor:
            # A new data version at commit, whatever the rows changed (mycustomers.counts).
            cursor.execute(
                "INSERT INTO performer_data_change (performer_id) VALUES (%s)", [performer.pk]
            )
        return result


def _last_event_id() -> int:
    """The last id the events' sequence handed out, to anyone (sequences ignore transactions)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT coalesce(pg_sequence_last_value("
            "pg_get_serial_sequence(%s, 'id')::regclass), 0)",
            [ContactEvent._meta.db_table],
        )
        return cursor.fetchone()[0]


def _check_header(text: str) -> None:
    record = parse_line(1, text)
    if record.get("format") != FORMAT:
        raise BadLine(
            1, f"not a My Customers performer file: expected a header {_expected_header()}"
        )
    version = record.get("version")
    if version != VERSION or type(version) is not int:
        raise BadLine(
            1, f"format version {version!r} is not supported (this version reads {VERSION})"
        )


def _expected_header() -> str:
    return f'{{"format": "{FORMAT}", "version": {VERSION}, ...}}'


def _reason(error: Exception) -> str:
    diag = getattr(error, "diag", None) or getattr(error.__cause__, "diag", None)
    if diag is not None and diag.message_primary:
        return " ".join(filter(None, (diag.message_primary, diag.message_detail)))
    return str(error).splitlines()[0] if str(error) else type(error).__name__
