"""Writing one performer's data as a performer file (``mycustomers.portability.format``).

Every line is built by PostgreSQL (``json_build_object``) and read through a server-side
cursor in chunks, so a performer with millions of events is streamed, never held in memory.
The whole export reads one snapshot (REPEATABLE READ): an event recorded meanwhile is either
in the file with its customer, or not at all.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from typing import IO

from django.db import connection, models, transaction
from django.utils import timezone

from contacts.models import Activity, ActivityCustomer, MailDelivery
from mycustomers.models import Customer, Member, Performer
from mycustomers.portability.format import END, FORMAT, LINE_TYPES, VERSION, LineType

CHUNK = 5_000


class ExportError(Exception):
    """The export could not start; ``str()`` is what the operator reads."""


@dataclass
class ExportResult:
    performer: str
    lines: dict[str, int] = field(default_factory=dict)
    elapsed: float = 0.0

    def summary(self) -> str:
        counted = ", ".join(f"{n:,} {name}" for name, n in self.lines.items() if n)
        return f"Exported {self.performer} in {self.elapsed:.1f} s: {counted}."


# The SQL of the keys that are no column of the line's own table, and the joins they need.
_EXTRA_SQL = {
    ("customer", "member"): "m.name",
    ("customer", "member_photo_url"): "m.photo_url",
    ("customer", "member_joined_at"): "m.joined_at",
    ("event", "mail"): "d.mail_id",
}
_JOINS = {
    "customer": f"JOIN {Member._meta.db_table} m ON m.id = t.member_id",
    "event": f"LEFT JOIN {MailDelivery._meta.db_table} d ON d.event_id = t.id",
}
# Deliveries with an event are written as that event's line ("mail").
_WHERE = {"delivery": "AND t.event_id IS NULL"}
# An activity line is one customer's entry, as the history page reads it: a shared entry
# (one of a mass action, contacts.models.Activity) is a line for each of its customers,
# found from the performer's customers through the link table's key.
_FROM = {
    "activity": f"""(
        SELECT id, performer_id, customer_id, verb, detail, created_at
        FROM {Activity._meta.db_table} WHERE customer_id IS NOT NULL
        UNION ALL
        SELECT a.id, a.performer_id, link.customer_id, a.verb, a.detail, a.created_at
        FROM {Customer._meta.db_table} c
        JOIN {ActivityCustomer._meta.db_table} link
            ON link.performer_id = c.performer_id AND link.customer_id = c.id
        JOIN {Activity._meta.db_table} a ON a.id = link.activity_id
        WHERE a.performer_id = c.performer_id
    )""",
}
_ORDER = {"activity": "t.id, t.customer_id"}


def select_sql(line_type: LineType) -> str:
    """One JSON text per row of ``line_type`` of the performer ``%s``, in id order."""
    values = [("type", f"'{line_type.name}'")]
    if line_type.has_id:
        values.append(("id", "t.id"))
    values += [(key, _EXTRA_SQL[line_type.name, key]) for key, _ in line_type.extra]
    values += [
        (ref.key, f"t.{ref.column}" if ref.column else _EXTRA_SQL[line_type.name, ref.key])
        for ref in line_type.refs
    ]
    # Decimals as text: exact whatever reads the file (a JSON number is a float to most).
    values += [
        (
            line_type.key(f),
            f"t.{f.column}::text" if isinstance(f, models.DecimalField) else f"t.{f.column}",
        )
        for f in line_type.fields
    ]
    pairs = ", ".join(f"'{key}', {sql}" for key, sql in values)
    owner = "t.id" if line_type.model is Performer else "t.performer_id"
    return f"""
        SELECT json_build_object({pairs})::text
        FROM {_FROM.get(line_type.name, line_type.model._meta.db_table)} t
            {_JOINS.get(line_type.name, "")}
        WHERE {owner} = %s {_WHERE.get(line_type.name, "")}
        ORDER BY {_ORDER.get(line_type.name, "t.id")}
    """


def export_performer(username: str, out: IO[bytes]) -> ExportResult:
    """Write the performer's file to ``out``; raises ExportError for an unknown performer."""
    started = time.monotonic()
    result = ExportResult(username)
    nested = connection.in_atomic_block
    with transaction.atomic(), connection.cursor() as cursor:
        if not nested:  # one snapshot for every line (must be the transaction's first statement)
            cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        cursor.execute("SET LOCAL TIME ZONE 'UTC'")  # every time written with +00:00
        performer_id = (
            Performer.objects.filter(username=username).values_list("pk", flat=True).first()
        )
        if performer_id is None:
            raise ExportError(f"No performer named {username!r}.")
        _write(out, header(username))
        for line_type in LINE_TYPES:
            result.lines[line_type.name] = _copy_lines(line_type, performer_id, out)
        _write(out, {"type": END, "lines": result.lines})
    result.elapsed = time.monotonic() - started
    return result


def header(username: str) -> dict:
    return {
        "format": FORMAT,
        "version": VERSION,
        "performer": username,
        "exported_at": timezone.now().isoformat(),
    }


def _copy_lines(line_type: LineType, performer_id: int, out: IO[bytes]) -> int:
    count = 0
    with connection.chunked_cursor() as rows:
        rows.execute(select_sql(line_type), [performer_id])
        while chunk := rows.fetchmany(CHUNK):
            out.write("".join(f"{text}\n" for (text,) in chunk).encode())
            count += len(chunk)
    return count


def _write(out: IO[bytes], record: dict) -> None:
    out.write(json.dumps(record, ensure_ascii=False).encode() + b"\n")
