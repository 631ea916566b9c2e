"""What each index of the customer table costs a mass write and what it saves a read
(issue 21), ``manage.py bench --only indexes``.

Read side: the query each index serves, EXPLAIN ANALYZE with the index and with it dropped
(inside a transaction that is rolled back: the index is back untouched). Write side, on a
copy of the customer table (the real one stays fresh for the other measurements): an
UPDATE of a sample of the visible customers with every index and with each one dropped,
rolled back and vacuumed after each, with the time and the WAL each index adds (the WAL is
exact whatever the machine's load). Also the share of HOT updates of an UPDATE that changes
no indexed column, by fill factor, each on a fresh copy.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable

from django.db import connection, transaction
from psycopg import ClientCursor

from contacts.models import Activity
from mycustomers.models import RANGE_FIELDS, Customer, Performer

COPY = "bench_customer_copy"


def _sql(queryset) -> str:
    query, params = queryset.query.sql_with_params()
    with ClientCursor(connection.connection) as cursor:
        return cursor.mogrify(query, params)


def _count_sql(queryset) -> str:
    return _sql(queryset.order_by().values("pk")).replace(
        'SELECT "mycustomers_customer"."id" AS "pk"', "SELECT count(*)", 1
    )


def reads(performer: Performer) -> dict[str, list[tuple[str, str]]]:
    """The reads each index serves: (what, SQL), by index name."""
    customers = Customer.objects.for_performer(performer)
    visible = customers.visible()
    page = visible.order_by()

    def first_page(key: str, descending: bool = False) -> str:
        return _sql(visible.sorted_by(key, descending=descending).values("member_name")[:20])

    by_name = visible.sorted_by("customer").values_list("member_name", flat=True)
    names = list(by_name[500:520]) or list(by_name[:20])
    rare = names[0][1:6]  # part of one name: what a performer types to find one customer
    served = {f"cust_vis_{key}": [(f"page 1 by {key}", first_page(key))] for key in RANGE_FIELDS}
    served |= {
        "cust_vis_name_nick": [
            ("page 1 by name", first_page("customer")),
            ("count of search 'jo'", _count_sql(visible.search("jo"))),
        ],
        "cust_vis_last_contact_nf": [("page 1 by -last contact", first_page("last_contact", True))],
        "cust_vis_contact_type": [("page 1 by contact type", first_page("contact_type"))],
        "cust_vis_lists_ci": [("page 1 by lists", first_page("lists"))],
        "cust_vis_due": [("page 1 by due", first_page("due"))],
        "cust_vis_overdue": [
            ("count of overdue", _count_sql(visible.filter(overdue_from__lte="2100-01-01")))
        ],
        "cust_vis_no_list": [("count of New", _count_sql(customers.in_default_list("new")))],
        "customer_affiliate_idx": [
            ("Affiliate exists", _sql(customers.filter(affiliate_referral=True).values("pk")[:1]))
        ],
        "customer_status_idx": [
            ("Blocked page 1", _sql(customers.blocked().order_by("member_name").values("pk")[:20])),
            ("a page's rows by name", _sql(customers.filter(member_name__in=names).values("pk"))),
        ],
        "cust_vis_name_trgm": [
            ("count of search 'ann'", _count_sql(visible.search("ann"))),
            (f"count of search '{rare}'", _count_sql(visible.search(rare))),
        ],
        "cust_vis_nick_trgm": [
            ("count of search 'ann'", _count_sql(visible.search("ann"))),
            (f"count of search '{rare}'", _count_sql(visible.search(rare))),
        ],
        "cust_vis_missed": [("count of missed=1", _count_sql(page.filter(has_missed_call=True)))],
    }
    return served


def explain_ms(sql: str) -> float:
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (ANALYZE, FORMAT JSON) {sql}")
        return cursor.fetchone()[0][0]["Execution Time"]


def _best(fn: Callable[[], float], runs: int = 3) -> float:
    return min(fn() for _ in range(runs))


# Indexes measured before they exist: created for the measurement, then rolled back.
CANDIDATES = {
    "cust_vis_missed": "CREATE INDEX {name} ON {table} (performer_id) "
    "WHERE status = 'active' AND has_missed_call",
}


def _existing(name: str) -> bool:
    return name in dict(_customer_indexes())


def read_costs(performer: Performer, out) -> list[dict]:
    rows = []
    with connection.cursor() as cursor:
        # Inside a transaction with deferred checks due (the test suite's), no index can be
        # created or dropped on the table until they ran.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    for index, queries in reads(performer).items():
        exists = _existing(index)
        for what, sql in queries:
            now_ms = _best(lambda s=sql: explain_ms(s))
            with transaction.atomic(), connection.cursor() as cursor:
                if exists:
                    cursor.execute(f"DROP INDEX {index}")
                else:
                    cursor.execute(
                        CANDIDATES[index].format(name=index, table="mycustomers_customer")
                    )
                    cursor.execute("ANALYZE mycustomers_customer")
                other_ms = _best(lambda s=sql: explain_ms(s))
                transaction.set_rollback(True)
            with_ms, without_ms = (now_ms, other_ms) if exists else (other_ms, now_ms)
            rows.append(
                {"index": index, "read": what, "with_ms": with_ms, "without_ms": without_ms}
            )
            out.write(
                f"  read   {index:<28} {what:<26} with {with_ms:9.2f} ms  "
                f"without {without_ms:9.2f} ms"
            )
    return rows


def _customer_indexes() -> list[tuple[str, str]]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'mycustomers_customer' "
            "ORDER BY indexname"
        )
        return cursor.fetchall()


def make_copy(fillfactor: int = 100) -> list[str]:
    """A copy of the customer table with the same indexes (named as the originals, prefixed
    ``c_``), built after its rows are in; returns the index names of the copy."""
    columns = [
        f.column for f in Customer._meta.concrete_fields if not getattr(f, "generated", False)
    ]
    names = []
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {COPY}")
        cursor.execute(
            f"CREATE TABLE {COPY} (LIKE mycustomers_customer INCLUDING DEFAULTS "
            f"INCLUDING GENERATED INCLUDING IDENTITY) WITH (fillfactor = {fillfactor})"
        )
        listed = ", ".join(columns)
        cursor.execute(f"INSERT INTO {COPY} ({listed}) SELECT {listed} FROM mycustomers_customer")
        for name, definition in _customer_indexes():
            copy_name = f"c_{name}"[:63]
            definition = re.sub(
                r"INDEX \S+ ON public\.mycustomers_customer",
                f"INDEX {copy_name} ON public.{COPY}",
                definition,
            )
            cursor.execute(definition)
            names.append(copy_name)
        cursor.execute(f"{'' if connection.in_atomic_block else 'VACUUM '}ANALYZE {COPY}")
    return names


def _timed_update(
    performer: Performer, assignment: str, drop: str | None = None, *, sample: int = 1
) -> dict:
    """The UPDATE of every ``sample``-th visible customer of the copy, rolled back: its
    execution ms, rows, HOT rows and WAL (EXPLAIN's, this statement's alone: other
    databases of the cluster write WAL too). The copy is vacuumed after it."""
    with connection.cursor() as cursor:
        with transaction.atomic():
            if drop:
                cursor.execute(f"DROP INDEX {drop}")
            cursor.execute(
                f"EXPLAIN (ANALYZE, WAL, TIMING OFF, FORMAT JSON) UPDATE {COPY} SET {assignment} "
                "WHERE performer_id = %s AND status = 'active' AND id %% %s = 0",
                [performer.pk, sample],
            )
            plan = cursor.fetchone()[0][0]
            cursor.execute("SELECT pg_stat_get_xact_tuples_hot_updated(%s::regclass)", [COPY])
            (hot,) = cursor.fetchone()
            transaction.set_rollback(True)
        # (VACUUM cannot run inside a transaction, as under the test suite.)
        if not connection.in_atomic_block:
            cursor.execute(f"VACUUM {COPY}")
    top = plan["Plan"]
    return {
        "ms": plan["Execution Time"],
        "rows": top["Plans"][0]["Actual Rows"],
        "hot": hot,
        "wal_bytes": top.get("WAL Bytes", 0),
        "wal_fpi": top.get("WAL FPI", 0),
    }


# An assign's write (an indexed column: every index gets an entry) and a follow-up's (a
# column in no index: HOT when the page has room).
ASSIGN = "list_names = 'Bench, Lists'"
FOLLOW_UP = "follow_up = 'called'"


def write_costs(performer: Performer, out, *, sample: int = 5) -> list[dict]:
    """Each index dropped in turn, beside the UPDATE with every index (a list_names change,
    as an assign: no version can be HOT, every index gets an entry) of one visible customer
    in ``sample``: the time and WAL each index adds. The WAL is exact whatever the load."""
    rows = []
    try:
        indexes = make_copy()
        with connection.cursor() as cursor:
            for name, create in CANDIDATES.items():
                if f"c_{name}" not in indexes:
                    cursor.execute(create.format(name=f"c_{name}", table=COPY))
                    indexes.append(f"c_{name}")
        for index in indexes:
            if index.endswith("_pkey"):
                continue
            with_ = _timed_update(performer, ASSIGN, sample=sample)
            without = _timed_update(performer, ASSIGN, index, sample=sample)
            updated = with_["rows"]
            row = {
                "index": index,
                "rows": updated,
                "with": with_,
                "without": without,
                "wal_bytes_per_row": round(
                    (with_["wal_bytes"] - without["wal_bytes"]) / max(updated, 1)
                ),
                "wal_share": round(1 - without["wal_bytes"] / max(with_["wal_bytes"], 1), 3),
            }
            rows.append(row)
            out.write(
                f"  write  {index:<32} {updated:,} rows: with {with_['ms']:7,.0f} ms, without "
                f"{without['ms']:7,.0f} ms; its WAL {row['wal_bytes_per_row']:4} B a row "
                f"({100 * row['wal_share']:.1f} % of the UPDATE's; full pages "
                f"{with_['wal_fpi']}/{without['wal_fpi']})"
            )
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"DROP TABLE IF EXISTS {COPY}")
    return rows


def hot_fractions(performer: Performer, out, fillfactors=(100, 90, 80)) -> list[dict]:
    """On a fresh copy at each fill factor, a follow-up UPDATE (no indexed column) of one
    visible customer in 50 and of all of them, and an assign's: the time and how many of the
    new row versions were HOT."""
    rows = []
    try:
        for fillfactor in fillfactors:
            make_copy(fillfactor)
            # One customer in 50 stands for the single-row writes (a follow-up edit, the
            # insights that moved) spread over the table between two vacuums.
            for assignment, sample in ((FOLLOW_UP, 50), (FOLLOW_UP, 1), (ASSIGN, 1)):
                update = _timed_update(performer, assignment, sample=sample)
                rows.append(
                    {"fillfactor": fillfactor, "update": assignment, "sample": sample, **update}
                )
                out.write(
                    f"  hot    fillfactor {fillfactor:>3} {assignment:<24} 1 in {sample:<3}"
                    f"{update['ms']:9,.0f} ms"
                    f"  {update['hot']:,} of {update['rows']:,} HOT, WAL "
                    f"{update['wal_bytes'] / 1e6:,.1f} MB"
                )
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"DROP TABLE IF EXISTS {COPY}")
    return rows


# A mass action's history, three ways, for every visible customer: an entry a customer (as
# before migration contacts 0011), one entry and a link row a customer (today's), one entry
# holding the ids in an array with a GIN index (the alternative).
SHAPES = {
    "an entry a customer": """
        INSERT INTO contacts_activity (performer_id, customer_id, verb, detail, created_at)
        SELECT %(p)s, id, 'blocked', '', now() FROM mycustomers_customer
        WHERE performer_id = %(p)s AND status = 'active'
    """,
    "one entry + links": """
        WITH entry AS (
            INSERT INTO contacts_activity (performer_id, verb, detail, created_at)
            VALUES (%(p)s, 'blocked', '', now()) RETURNING id)
        INSERT INTO contacts_activitycustomer (performer_id, customer_id, activity_id)
        SELECT %(p)s, c.id, entry.id FROM mycustomers_customer c, entry
        WHERE c.performer_id = %(p)s AND c.status = 'active'
    """,
    "one entry, array + GIN": """
        INSERT INTO bench_activity_array (performer_id, verb, detail, created_at, customer_ids)
        SELECT %(p)s, 'blocked', '', now(), array_agg(id) FROM mycustomers_customer
        WHERE performer_id = %(p)s AND status = 'active'
    """,
}
HISTORY = {
    "an entry a customer": "SELECT id FROM contacts_activity WHERE performer_id = %(p)s "
    "AND customer_id = %(c)s ORDER BY created_at DESC, id DESC LIMIT 20",
    "one entry + links": None,  # Activity.objects.of_customer, below
    "one entry, array + GIN": "SELECT id FROM bench_activity_array WHERE performer_id = %(p)s "
    "AND customer_ids @> ARRAY[%(c)s]::bigint[] ORDER BY created_at DESC, id DESC LIMIT 20",
}


def activity_shapes(performer: Performer, out, *, runs: int = 3) -> list[dict]:
    """Each shape's write for every visible customer (with the checks a commit would run),
    rolled back, in turns ``runs`` times; then, with the write in place, one customer's
    history page query (EXPLAIN ANALYZE)."""

    customer = Customer.objects.for_performer(performer).visible().order_by("pk").first()
    params = {"p": performer.pk, "c": customer.pk}
    history = Activity.objects.for_performer(performer).of_customer(customer).values("pk")
    rows = []
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TABLE IF NOT EXISTS bench_activity_array (id bigserial PRIMARY KEY, "
            "performer_id bigint, verb text, detail text, created_at timestamptz, "
            "customer_ids bigint[])"
        )
        cursor.execute(
            "CREATE INDEX IF NOT EXISTS bench_activity_array_gin ON bench_activity_array "
            "USING gin (customer_ids)"
        )
    try:
        timings: dict[str, list[float]] = {name: [] for name in SHAPES}
        reads: dict[str, float] = {}
        for run in range(runs):
            for name, sql in SHAPES.items():
                with transaction.atomic(), connection.cursor() as cursor:
                    start = time.perf_counter()
                    cursor.execute(sql, params)
                    cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
                    timings[name].append((time.perf_counter() - start) * 1000)
                    if run == 0:
                        read = HISTORY[name]
                        with ClientCursor(connection.connection) as client:
                            read = client.mogrify(read, params) if read else _sql(history)
                        reads[name] = _best(lambda r=read: explain_ms(r))
                    transaction.set_rollback(True)
        for name, samples in timings.items():
            row = {"shape": name, "write_ms": samples, "history_ms": reads[name]}
            rows.append(row)
            out.write(
                f"  shape  {name:<24} write {'/'.join(f'{ms:,.0f}' for ms in samples)} ms; "
                f"a customer's history {reads[name]:.2f} ms"
            )
    finally:
        with connection.cursor() as cursor:
            cursor.execute("DROP TABLE IF EXISTS bench_activity_array")
    return rows
