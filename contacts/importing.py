"""Importing contact events from a file (SPEC C3), streamed in batches.

A file is CSV with a header row, or JSON Lines (one object per line). Each row names the
``performer`` (username), ``member`` (member name), ``type`` (contact type code) and
``occurred_at`` (ISO 8601 with a UTC offset), and optionally ``amount``, ``quantity``,
``reference`` and ``summary``.

Rows are parsed and validated in batches; a batch is recorded through
``contacts.services.record_valid_events`` in one transaction. The first bad row stops the import
with its line number, and nothing of its batch is applied. By default every batch commits on
its own (earlier batches stay, so long imports don't hold customer locks for minutes);
``atomic=True`` makes the whole file one transaction. Events with a reference are recorded at
most once per performer, so importing a file again is harmless.
"""

from __future__ import annotations

import csv
import gc
import io
import itertools
import json
import re
import sys
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import NamedTuple

from django.contrib.auth.hashers import make_password
from django.core.exceptions import ValidationError
from django.db import DatabaseError, connection, transaction

from contacts import rhythm
from contacts.models import ContactEvent
from contacts.services import (
    MAX_MEMBER_NAME,
    MAX_REFERENCE,
    MAX_SUMMARY,
    TYPE_CODES,
    EventError,
    NewEvent,
    event_time_range,
    record_valid_events,
)
from mycustomers.models import Customer, Member, Performer

REQUIRED = ("performer", "member", "type", "occurred_at")
OPTIONAL = ("amount", "quantity", "reference", "summary")
FIELDS = (*REQUIRED, *OPTIONAL)
# Large batches: the counter update rewrites each customer once per batch (with all its
# indexes), so a customer with many events in a file costs less the fewer the batches.
DEFAULT_BATCH_SIZE = 200_000
MAX_USERNAME = Performer._meta.get_field("username").max_length
# Numbers in files are ASCII digits, and a decimal point for amounts: Python's int() and
# Decimal() would also take "٣" (3), "1_000" and "1e2" (100), and int("²") raises.
WHOLE_NUMBER = re.compile(r"[0-9]{1,7}")
DECIMAL_NUMBER = re.compile(r"[+-]?[0-9]{1,20}(?:\.[0-9]{1,20})?")
# Only a \u escape of the range D800-DFFF can put a lone surrogate (text that cannot be
# stored) into a JSON string: a file read as UTF-8 holds none.
SURROGATE_ESCAPE = re.compile(r"\\u[dD][89abcdefABCDEF]")


class ImportFailed(Exception):
    """The import stopped; ``str()`` is what the operator reads."""

    def __init__(self, message: str, result: ImportResult | None = None):
        super().__init__(message)
        self.result = result


class BadRow(ImportFailed):
    def __init__(self, line: int, reason: str):
        super().__init__(f"line {line}: {reason}")
        self.line = line
        self.reason = reason


@dataclass
class ImportResult:
    rows: int = 0
    inserted: int = 0
    duplicates: int = 0
    created_performers: list[str] = field(default_factory=list)
    # Who got events: their insights are refreshed once the import ends.
    performers: set[str] = field(default_factory=set)
    committed_through_line: int = 0  # last line of the last committed batch (0: none)
    started: float = field(default_factory=time.monotonic)
    elapsed: float = 0.0

    @property
    def rows_per_second(self) -> float:
        return self.rows / self.elapsed if self.elapsed > 0 else 0.0

    def summary(self) -> str:
        text = (
            f"{self.rows:,} rows read, {self.inserted:,} events inserted, "
            f"{self.duplicates:,} duplicates skipped in {self.elapsed:.1f} s "
            f"({self.rows_per_second:,.0f} rows/s)"
        )
        if self.created_performers:
            text += f"; created {len(self.created_performers)} performer(s): " + ", ".join(
                self.created_performers[:10]
            )
            if len(self.created_performers) > 10:
                text += ", …"
        return text


class Row(NamedTuple):  # a tuple: a million of them are built per million rows
    line: int
    performer: str
    event: NewEvent


# -- reading ---------------------------------------------------------------------------------


def detect_format(name: str, first_line: str) -> str:
    """``csv`` or ``jsonl``: by file extension, else by the first non-blank character."""
    suffix = Path(name).suffix.lower()
    if suffix in (".jsonl", ".ndjson"):
        return "jsonl"
    if suffix == ".csv":
        return "csv"
    return "jsonl" if first_line.lstrip().startswith("{") else "csv"


def open_source(path: str) -> io.TextIOBase:
    """The file (or stdin for ``-``) as text; the caller closes it."""
    if path == "-":
        return io.TextIOWrapper(sys.stdin.buffer, encoding="utf-8-sig", newline="")
    return open(path, encoding="utf-8-sig", newline="")


def sniff(lines: Iterable[str], name: str, fmt: str | None = None) -> tuple[str, Iterator[str]]:
    """Decide the format from the name or the first non-blank line, without losing lines."""
    iterator = iter(lines)
    head: list[str] = []
    try:
        for text in iterator:
            head.append(text)
            if text.strip():
                break
    except UnicodeDecodeError:
        raise BadRow(len(head) + 1, "not valid UTF-8 text") from None
    fmt = fmt or detect_format(name, head[-1] if head else "")
    return fmt, itertools.chain(head, iterator)


def read_records(lines: Iterable[str], fmt: str) -> Iterator[tuple[int, dict]]:
    """Yield (line number, raw record) from CSV or JSON Lines text, lazily."""
    return _read_csv(lines) if fmt == "csv" else _read_jsonl(lines)


def _read_csv(lines: Iterable[str]) -> Iterator[tuple[int, dict]]:
    counted = _LineCounter(lines)
    reader = csv.reader(counted)
    try:
        header = next(reader, None)
        if header is None:
            return
        header = [h.strip().lower() for h in header]
        _check_columns(header, line=1)
        width = len(header)
        while True:
            start = counted.line + 1
            values = next(reader, None)
            if values is None:
                return
            if not values or values == [""]:
                continue  # a blank line
            if len(values) != width:
                raise BadRow(start, f"{len(values)} fields, but the header has {width}")
            yield start, dict(zip(header, values, strict=True))
    except csv.Error as exc:
        raise BadRow(counted.line, f"malformed CSV: {exc}") from None
    except UnicodeDecodeError:
        raise BadRow(counted.line + 1, "not valid UTF-8 text") from None


def _check_columns(header: list[str], *, line: int) -> None:
    unknown = [h for h in header if h not in FIELDS]
    if unknown:
        raise BadRow(line, f"unknown column(s) {', '.join(unknown)}; expected {', '.join(FIELDS)}")
    duplicated = sorted({h for h in header if header.count(h) > 1})
    if duplicated:
        raise BadRow(line, f"duplicate column(s) {', '.join(duplicated)}")
    missing = [f for f in REQUIRED if f not in header]
    if missing:
        raise BadRow(line, f"missing column(s) {', '.join(missing)}")


class _LineCounter:
    """Counts physical lines handed to the csv module (a quoted field may span lines)."""

    def __init__(self, lines: Iterable[str]):
        self._lines = iter(lines)
        self.line = 0

    def __iter__(self) -> _LineCounter:
        return self

    def __next__(self) -> str:
        text = next(self._lines)
        self.line += 1
        return text


def _read_jsonl(lines: Iterable[str]) -> Iterator[tuple[int, dict]]:
    number = 0
    iterator = iter(lines)
    while True:
        try:
            text = next(iterator)
        except StopIteration:
            return
        except UnicodeDecodeError:
            raise BadRow(number + 1, "not valid UTF-8 text") from None
        number += 1
        if not text.strip():
            continue
        try:
            record = json_object(text, parse_float=_json_decimal)
        except ValueError as exc:
            raise BadRow(number, str(exc)) from None
        if SURROGATE_ESCAPE.search(text) and not _is_unicode(record):
            raise BadRow(number, "text is not valid Unicode (a lone surrogate such as \\ud800)")
        unknown = [k for k in record if k not in FIELDS]
        if unknown:
            raise BadRow(number, f"unknown field(s) {', '.join(map(str, unknown))}")
        yield number, record


def _json_decimal(text: str) -> Decimal | str:
    """A JSON number with a fraction as an exact decimal; one with an exponent (1e2) stays
    its text, which no numeric field accepts."""
    return Decimal(text) if DECIMAL_NUMBER.fullmatch(text) else _NotPlain(text)


class _NotPlain(str):
    """A JSON number in a form the numeric fields refuse."""


def json_object(text: str, **loads) -> dict:
    """One JSON Lines line as an object, or ValueError saying what is wrong with it (also
    what ``import_performer`` reads its lines with)."""
    try:
        record = json.loads(text, **loads)
    except ValueError as exc:
        raise ValueError(f"malformed JSON: {exc}") from None
    except RecursionError:
        raise ValueError("malformed JSON: nested too deeply") from None
    if not isinstance(record, dict):
        raise ValueError("expected a JSON object")
    return record


def _is_unicode(record: dict) -> bool:
    try:
        for key, value in record.items():
            key.encode()
            if isinstance(value, str):
                value.encode()
    except UnicodeEncodeError:
        return False
    return True


# -- parsing one record ---------------------------------------------------------------------


def parse_record(
    line: int, record: dict, time_range: tuple[datetime, datetime] | None = None
) -> Row:
    """Turn one raw record into a validated event, or raise BadRow. ``time_range`` is
    ``event_time_range()``, computed once by a caller parsing many records."""
    time_range = time_range or event_time_range()
    row = _plain_row(line, record, time_range)
    if row is not None:
        return row
    try:
        performer = _text(record, "performer", required=True).strip()
        if "\x00" in performer:
            raise EventError("text contains a NUL character, which cannot be stored")
        event = NewEvent(
            member_name=_text(record, "member", required=True),
            type=_text(record, "type", required=True).strip(),
            occurred_at=_timestamp(record.get("occurred_at")),
            amount=_amount(record.get("amount")),
            quantity=_quantity(record.get("quantity")),
            reference=_reference(record.get("reference")),
            summary=_text(record, "summary"),
        )
        event.validate(time_range)
    except EventError as exc:
        raise BadRow(line, str(exc)) from None
    return Row(line, performer, event)


# What the common row holds (every value text, as in any CSV file), checked in one pass; any
# other value goes through the general rules above, which also word the errors.
PLAIN_AMOUNT = re.compile(r"[0-9]{1,8}(?:\.[0-9]{1,2})?")
PLAIN_QUANTITY = re.compile(r"[1-9][0-9]{0,5}|1000000")
ZERO = Decimal("0")


def _plain_row(line: int, record: dict, time_range: tuple[datetime, datetime]) -> Row | None:
    """The row of a record that is valid on the face of it, else None (then the general
    rules decide). Accepts nothing that ``NewEvent.validate`` refuses, and builds the same
    event (tests compare the two on edge cases)."""
    get = record.get
    performer, member, kind, at = get("performer"), get("member"), get("type"), get("occurred_at")
    # Only a missing value is a default: 0 or false in JSON is a value (and refused).
    amount, quantity, reference, summary = (
        "" if value is None else value
        for value in (get("amount"), get("quantity"), get("reference"), get("summary"))
    )
    if not (
        type(performer) is str
        and type(member) is str
        and type(kind) is str
        and type(at) is str
        and type(amount) is str
        and type(quantity) is str
        and type(reference) is str
        and type(summary) is str
        and performer
        and 0 < len(member) <= MAX_MEMBER_NAME
        and len(reference) <= MAX_REFERENCE
        and len(summary) <= MAX_SUMMARY
        and "\x00" not in performer + member + reference + summary
        and member == member.strip()
    ):
        return None
    kind = kind.strip()
    if kind not in TYPE_CODES:
        return None
    try:
        moment = datetime.fromisoformat(at.strip())
    except ValueError:
        return None
    if moment.tzinfo is None or not time_range[0] <= moment <= time_range[1]:
        return None
    if amount and not PLAIN_AMOUNT.fullmatch(amount):
        return None
    if quantity and not PLAIN_QUANTITY.fullmatch(quantity):
        return None
    return Row(
        line,
        performer.strip(),
        NewEvent(
            member,
            kind,
            moment,
            Decimal(amount) if amount else ZERO,
            int(quantity) if quantity else 1,
            reference.strip() or None,
            summary,
        ),
    )


def _text(record: dict, name: str, *, required: bool = False) -> str:
    value = record.get(name)
    if value is None or value == "":
        if required:
            raise EventError(f"{name} is required")
        return ""
    if not isinstance(value, str) or isinstance(value, _NotPlain):
        raise EventError(f"{name} must be text")
    return value


def _reference(value) -> str | None:
    # JSON exports often carry purchase ids as numbers.
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return _text({"reference": value}, "reference").strip() or None


def _timestamp(value) -> datetime:
    if value is None or (isinstance(value, str) and not value.strip()):
        raise EventError("occurred_at is required")
    if not isinstance(value, str):
        raise EventError("occurred_at must be an ISO 8601 text")
    try:
        moment = datetime.fromisoformat(value.strip())
    except ValueError:
        raise EventError(f"occurred_at {value!r} is not an ISO 8601 date and time") from None
    if moment.tzinfo is None:
        raise EventError(f"occurred_at {value!r} needs a UTC offset (e.g. +00:00 or Z)")
    return moment


def _amount(value) -> Decimal:
    if value is None or value == "":
        return Decimal("0")
    if isinstance(value, Decimal | int) and not isinstance(value, bool):
        return Decimal(value)  # a JSON number (see _json_decimal)
    if not isinstance(value, str):
        raise EventError("amount must be a decimal number")
    if not DECIMAL_NUMBER.fullmatch(value.strip()):
        raise EventError(f"amount {value!r} is not a decimal number")
    return Decimal(value.strip())


def _quantity(value) -> int:
    if value is None or value == "":
        return 1
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and WHOLE_NUMBER.fullmatch(value.strip()):
        return int(value.strip())
    raise EventError(f"quantity {value!r} must be a whole number from 1 to 1,000,000")


# -- importing ------------------------------------------------------------------------------


class EventImporter:
    def __init__(
        self,
        *,
        create_performers: bool = False,
        batch_size: int = DEFAULT_BATCH_SIZE,
        atomic: bool = False,
        from_line: int = 0,
        on_batch: Callable[[ImportResult], None] | None = None,
    ):
        if batch_size < 1:
            raise ValueError("batch_size must be at least 1")
        self.create_performers = create_performers
        self.batch_size = batch_size
        self.atomic = atomic
        self.from_line = from_line
        self.on_batch = on_batch
        self._performers: dict[str, Performer | None] = {}
        self._to_create: set[str] = set()

    def run(self, records: Iterable[tuple[int, dict]]) -> ImportResult:
        result = ImportResult()
        try:
            with _no_cycle_collection(), transaction.atomic() if self.atomic else nullcontext():
                self._run(records, result)
        except ImportFailed as exc:
            result.elapsed = time.monotonic() - result.started
            if self.atomic:
                result.inserted = result.duplicates = result.committed_through_line = 0
                result.created_performers = []
            exc.result = result
            raise
        result.elapsed = time.monotonic() - result.started
        return result

    def _run(self, records: Iterable[tuple[int, dict]], result: ImportResult) -> None:
        for batch, error in _parsed_batches(records, self.batch_size, self.from_line):
            # Rows before a bad row come first: an unknown performer there is the first error.
            self._check_performers(batch)
            if error is not None:
                raise error
            if batch:
                result.rows += len(batch)
                self._apply(batch, result)

    def _check_performers(self, batch: list[Row]) -> None:
        unseen = {row.performer for row in batch} - self._performers.keys()
        if unseen:
            found = {p.username: p for p in Performer.objects.filter(username__in=unseen)}
            for name in unseen:
                self._performers[name] = found.get(name)
        for row in batch:
            name = row.performer
            if self._performers[name] is None and name not in self._to_create:
                self._to_create.add(self._creatable(row))

    def _creatable(self, row: Row) -> str:
        name = row.performer
        if not self.create_performers:
            raise BadRow(
                row.line, f"unknown performer {name!r} (use --create-performers to create it)"
            )
        try:
            if len(name) > MAX_USERNAME:
                raise ValidationError(f"at most {MAX_USERNAME} characters")
            Performer.username_validator(name)
        except ValidationError as exc:
            raise BadRow(row.line, f"performer {name!r} is not a valid username") from exc
        return name

    def _apply(self, batch: list[Row], result: ImportResult) -> None:
        groups: dict[str, list[NewEvent]] = {}
        seen: set[tuple[str, str]] = set()
        duplicates = 0
        for row in batch:
            ref = row.event.reference
            if ref is not None:
                if (row.performer, ref) in seen:
                    duplicates += 1  # the same reference twice in one batch: keep the first
                    continue
                seen.add((row.performer, ref))
            groups.setdefault(row.performer, []).append(row.event)
        inserted = 0
        touched = set()
        try:
            with transaction.atomic():
                created = self._create_performers()
                for name, events in groups.items():
                    recorded = record_valid_events(performer=self._performers[name], events=events)
                    inserted += recorded
                    duplicates += len(events) - recorded
                    if recorded:
                        touched.add(name)
        except (DatabaseError, EventError) as exc:
            # The import stops here, so the performer cache needs no repair.
            reason = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
            raise ImportFailed(
                f"lines {batch[0].line}–{batch[-1].line}: the database refused the batch: {reason}"
            ) from exc
        result.inserted += inserted
        result.duplicates += duplicates
        result.created_performers += created
        result.performers |= touched
        result.committed_through_line = batch[-1].line
        if self.on_batch:
            self.on_batch(result)

    def _create_performers(self) -> list[str]:
        if not self._to_create:
            return []
        names = sorted(self._to_create)
        Performer.objects.bulk_create(
            [Performer(username=n, password=make_password(None)) for n in names],
            ignore_conflicts=True,
        )
        for performer in Performer.objects.filter(username__in=names):
            self._performers[performer.username] = performer
        self._to_create.clear()
        return names


@contextmanager
def _no_cycle_collection() -> Iterator[None]:
    """Parsing builds millions of objects that form no cycles, and each few hundred of them
    would start the cycle collector over the growing batch (docs/performance.md)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _parsed_batches(
    records: Iterable[tuple[int, dict]], size: int, from_line: int
) -> Iterator[tuple[list[Row], Exception | None]]:
    """Parsed rows in batches; a batch ends early, with the error, at the first bad row.

    (Parsing on a reader thread to overlap the database's work was measured: no faster,
    since the GIL hands the main thread back late after each round trip.)"""
    batch: list[Row] = []
    time_range = event_time_range()
    try:
        for line, record in records:
            if line < from_line:
                continue
            batch.append(parse_record(line, record, time_range))
            if len(batch) >= size:
                yield batch, None
                batch = []
                time_range = event_time_range()
    except BadRow as exc:
        yield batch, exc
        return
    yield batch, None


# The tables an import writes to.
WRITTEN_TABLES = (ContactEvent, Customer, Member, Performer)


def settle_import(result: ImportResult) -> None:
    """After an import (whole or in part): planner statistics for what it wrote, at once
    (until autovacuum gets to it the next queries are planned without them, and a recount
    planned so nests loops for minutes), then the insights of every performer it gave
    events (the segments compare customers with each other, so they move as a whole)."""
    if not (result.inserted or result.created_performers):
        return
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {', '.join(m._meta.db_table for m in WRITTEN_TABLES)}")
    for performer in Performer.objects.filter(username__in=result.performers):
        rhythm.refresh(performer)


def import_file(path: str, *, fmt: str | None = None, **options) -> ImportResult:
    """Import ``path`` (``-`` for stdin); ``options`` are EventImporter's."""
    with open_source(path) as stream:
        fmt, lines = sniff(stream, path, fmt)
        return EventImporter(**options).run(read_records(lines, fmt))
