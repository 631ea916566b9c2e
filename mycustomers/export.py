"""The CSV export of a main-view selection (M14), written by PostgreSQL.

Every cell is computed in SQL from the view's own queryset (its filters and order), and
``COPY (query) TO STDOUT WITH (FORMAT csv)`` streams the rows: no model instance, no Python
per cell (issue 21: 100,000 rows in about the time of the bare COPY). The bytes are those
Python's ``csv.writer`` wrote over model instances before
(tests/customers/test_main_view_export_bytes.py): a BOM, the header, then one row per customer,
quoted only where a cell holds a comma, a quote or a line break, rows ended by CRLF.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from datetime import date, datetime, tzinfo

from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models import Case, F, Func, Q, TextField, Value, When
from django.db.models.functions import Concat, NullIf
from psycopg import ClientCursor

from mycustomers.database import EARLIEST, LATEST
from mycustomers.models import COUNTER_FIELDS, CustomerQuerySet, CustomerStatus
from mycustomers.tables import CONTACT_TYPE_LABELS, FOLLOW_UP_LABELS

# The CSV columns (a public contract: names never change) of each table column, in the
# table's order. An export follows the visible columns' order, then the hidden ones: every
# column is always exported.
CSV_COLUMNS = {
    "customer": ("Member name", "Nickname", "New", "Missed call", "Follow-up"),
    "live_calls": ("Live calls",),
    "recorded_calls": ("Recorded calls",),
    "mail_sent": ("Mail sent",),
    "mail_received": ("Mail received",),
    "goody_bags": ("Goody bags",),
    "chat_volleys": ("Chat volleys",),
    "feeds": ("Feeds",),
    "earnings": ("Lifetime earnings",),
    "last_contact": ("Last contact",),
    "contact_type": ("Contact type",),
    "lists": ("Customer lists",),
    "due": ("Usual gap (days)", "Due date", "Overdue factor", "Segment", "Trend"),
}
CSV_HEADER = tuple(name for names in CSV_COLUMNS.values() for name in names)
# Text a spreadsheet would run as a formula (CSV injection) starts with one of these.
FORMULA_START = "^[-=+@\t\r]"
BOM = "\ufeff"  # spreadsheets then read the file as UTF-8
ROWS_PER_CHUNK = 500  # one write per row is slow to stream


def csv_order(columns: list[str]) -> list[int]:
    """Positions in ``CSV_HEADER`` of the export's columns: those of the visible table
    columns in their order, then the rest in the table's order."""
    keys = [*columns, *(key for key in CSV_COLUMNS if key not in columns)]
    return [CSV_HEADER.index(name) for key in keys for name in CSV_COLUMNS[key]]


class _Sql(Func):
    """SQL written out: ``{0}``, ``{1}``… are the expressions, each compiled in every place it
    is named (a column or a value: cheap to repeat)."""

    output_field = TextField()

    def __init__(self, template: str, *expressions):
        super().__init__(*expressions)
        self.sql = template

    def as_sql(self, compiler, connection, **extra):
        compiled = [compiler.compile(e) for e in self.source_expressions]
        params = []

        def named(match: re.Match) -> str:
            sql, own = compiled[int(match[1])]
            params.extend(own)
            return f"({sql})"

        return re.sub(r"\{(\d)\}", named, self.sql), params


def _text(expression):
    """Text as a spreadsheet must read it: a leading = + - @ tab or CR quoted away by an
    apostrophe. Empty is NULL, which COPY writes as nothing (an empty string it quotes)."""
    escaped = _Sql("regexp_replace({0}, {1}, {2})", expression, Value(FORMULA_START), Value("'\\&"))
    return NullIf(escaped, Value(""), output_field=TextField())


def _label(field: str, labels: dict[str, str]):
    return Case(
        *(When(**{field: code}, then=Value(label)) for code, label in labels.items() if code),
        output_field=TextField(),
    )


def _local_time(field: str, zone: tzinfo):
    """``localtime(t, zone).isoformat(timespec="seconds")``: seconds truncated, the offset as
    ±HH:MM (±HH:MM:SS for the local mean times before 1900). A time out of Python's range
    reads as the nearest one it holds in every zone (mycustomers.database)."""
    held = _Sql(
        "CASE WHEN {0} < {1} THEN {1} WHEN {0} > {2} THEN {2} ELSE {0} END",
        F(field),
        Value(EARLIEST),
        Value(LATEST),
    )
    # {0}: the time, {1}: the zone; the offset in seconds east of UTC is the local wall
    # clock's epoch less the time's.
    offset = "(date_part('epoch', timezone({1}, {0})) - date_part('epoch', {0}))::int"
    return _Sql(
        "to_char(timezone({1}, {0}), 'YYYY-MM-DD\"T\"HH24:MI:SS')"
        f" || CASE WHEN {offset} < 0 THEN '-' ELSE '+' END"
        f" || to_char(make_interval(secs => abs({offset})), 'HH24:MI')"
        f" || CASE WHEN mod({offset}, 60) = 0 THEN ''"
        f" ELSE to_char(make_interval(secs => abs({offset})), ':SS') END",
        held,
        Value(str(zone)),
    )


def cells(*, today: date, since: datetime, zone: tzinfo) -> list:
    """The SQL of each column of ``CSV_HEADER``, in its order. ``today`` is the performer's
    day (overdue factor), ``since`` the start of the New window (``models.new_since``),
    ``zone`` the performer's time zone."""
    is_new = Q(first_contact__gte=since, new_cleared=False) & ~Q(status=CustomerStatus.BLOCKED)
    # Customer.list_label: the lists (or New Customers / Unassigned), then Affiliate Referral.
    own_lists = Case(
        When(~Q(list_names=""), then=F("list_names")),
        When(is_new, then=Value("New Customers")),
        default=Value("Unassigned"),
        output_field=TextField(),
    )
    referral = Case(
        When(affiliate_referral=True, then=Value(", Affiliate Referral")),
        default=Value(""),
        output_field=TextField(),
    )
    list_label = Case(
        When(status=CustomerStatus.BLOCKED, then=Value("Blocked")),
        default=Concat(own_lists, referral, output_field=TextField()),
        output_field=TextField(),
    )
    return [
        _text(F("member_name")),
        _text(F("nickname")),
        Case(When(is_new, then=Value("yes")), output_field=TextField()),
        Case(When(has_missed_call=True, then=Value("yes")), output_field=TextField()),
        _label("follow_up", FOLLOW_UP_LABELS),
        *(F(field) for field in COUNTER_FIELDS),
        F("earnings"),  # numeric(12, 2): two decimals, as f"{earnings:.2f}"
        _local_time("last_contact", zone),
        _label("last_contact_type", CONTACT_TYPE_LABELS),
        _text(list_label),
        F("usual_gap"),  # numeric(6, 1), as str(Decimal)
        _Sql("to_char({0}, 'YYYY-MM-DD')", F("due_date")),
        # Customer.overdue_factor: NULL without a usual gap or a paid day.
        _Sql(
            "round(GREATEST({0} - {1}, 0) / NULLIF({2}, 0), 1)",
            Value(today),
            F("last_paid_day"),
            F("usual_gap"),
        ),
        NullIf(F("segment"), Value("")),
        NullIf(F("trend"), Value("")),
    ]


def export_query(
    customers: CustomerQuerySet,
    columns: list[str],
    *,
    today: date,
    since: datetime,
    zone: tzinfo,
) -> tuple[str, list]:
    """The SELECT of the export's cells in ``csv_order(columns)``, in the queryset's order."""
    every = cells(today=today, since=since, zone=zone)
    chosen = {f"csv_{n}": every[i] for n, i in enumerate(csv_order(columns))}
    rows = customers.annotate(**chosen).values_list(*chosen)
    return rows.query.get_compiler(using=rows.db).as_sql()


def header(columns: list[str]) -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer).writerow([CSV_HEADER[i] for i in csv_order(columns)])
    return (BOM + buffer.getvalue()).encode()


def csv_stream(
    query: tuple[str, list], *, head: bytes = b"", using: str = DEFAULT_DB_ALIAS
) -> Iterator[bytes]:
    """``head``, then the rows of ``query`` as CSV, a few hundred at a time.

    COPY ends a row with LF where csv.writer wrote CRLF: each read of a COPY is exactly one
    row (libpq), so its last byte is the row's end (line breaks inside a quoted cell stay as
    they are)."""
    yield head
    sql, params = query
    connection = connections[using]
    # COPY takes no bound parameters: psycopg merges them in, quoted.
    connection.ensure_connection()
    select = ClientCursor(connection.connection).mogrify(sql, params)
    statement = f"COPY ({select}) TO STDOUT WITH (FORMAT csv)"
    with connection.cursor() as cursor, cursor.copy(statement) as copy:
        chunk = bytearray()
        for number, row in enumerate(copy, start=1):
            chunk += row[:-1]
            chunk += b"\r\n"
            if number % ROWS_PER_CHUNK == 0:
                yield bytes(chunk)
                chunk.clear()
    yield bytes(chunk)
