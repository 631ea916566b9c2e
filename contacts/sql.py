"""The contacts app's raw SQL: recording events (set-based, one statement a batch), the
activity history of a selection, and the recount that checks the counters.

Everything here is built from public names: table names from the models, the contact-type
rules from ``contacts.types.EFFECTS``. Statements take named parameters (``%(performer)s``).
"""

from __future__ import annotations

from collections.abc import Iterable

from contacts.models import ContactEvent, MailDelivery
from contacts.rhythm import RHYTHM_FIELDS, rhythm_ctes
from contacts.types import EFFECTS, MissedCall
from mycustomers.models import COUNTER_FIELDS, Customer, Member

EVENTS = ContactEvent._meta.db_table
CUSTOMERS = Customer._meta.db_table
MEMBERS = Member._meta.db_table


def type_list(codes: Iterable[str]) -> str:
    """``'a', 'b'`` for ``type IN (...)``; codes come from the enumeration, never from input."""
    return ", ".join(f"'{code}'" for code in codes) or "NULL"


SETS_MISSED = type_list(c for c, e in EFFECTS.items() if e.missed_call is MissedCall.SETS)
CLEARS_MISSED = type_list(c for c, e in EFFECTS.items() if e.missed_call is MissedCall.CLEARS)
CLEARS_NEW = type_list(c for c, e in EFFECTS.items() if e.clears_new)


def _counter_sum(field: str) -> str:
    by_one = type_list(c for c, e in EFFECTS.items() if e.counter == field and not e.by_quantity)
    by_quantity = type_list(c for c, e in EFFECTS.items() if e.counter == field and e.by_quantity)
    return (
        f"coalesce(sum(CASE WHEN type IN ({by_one}) THEN 1 "
        f"WHEN type IN ({by_quantity}) THEN quantity END), 0) AS {field}"
    )


# Each counter of a group of events, by the contact-type table (SPEC §2).
COUNTER_SUMS = ",\n            ".join(_counter_sum(field) for field in COUNTER_FIELDS)

# --- Recording events ----------------------------------------------------------------------

_CUSTOMER_DEFAULTS = {
    "nickname": "''",
    "status": "%(active)s",
    "follow_up": "''",
    "affiliate_referral": "false",
    "new_cleared": "false",
    "list_names": "''",
    **{field: "0" for field in COUNTER_FIELDS},
    "earnings": "0",
    "last_contact_type": "''",
    "created_at": "now()",
}

# Members and customers named by a batch (parameter ``names``), created when missing.
ENSURE_CUSTOMERS = f"""
    INSERT INTO {MEMBERS} (name, photo_url, joined_at)
    SELECT name, '', now() FROM unnest(%(names)s::text[]) AS name
    ON CONFLICT (name) DO NOTHING;
    INSERT INTO {CUSTOMERS} (performer_id, member_id, member_name, {", ".join(_CUSTOMER_DEFAULTS)})
    SELECT %(performer)s, m.id, m.name, {", ".join(_CUSTOMER_DEFAULTS.values())}
    FROM {MEMBERS} m WHERE m.name = ANY(%(names)s::text[])
    ORDER BY m.name
    ON CONFLICT (performer_id, member_id) DO NOTHING;
"""
# Their ids by member name, locked in id order. Found through the member's unique name and
# (performer, member): both indexed.
LOCK_CUSTOMERS = f"""
    SELECT m.name, c.id
    FROM {MEMBERS} m
    JOIN {CUSTOMERS} c ON c.performer_id = %(performer)s AND c.member_id = m.id
    WHERE m.name = ANY(%(names)s::text[])
    ORDER BY c.id FOR UPDATE OF c
"""

# A large batch travels by COPY into this session's staging table (created on first use; ON
# COMMIT DELETE ROWS empties it at commit, and DELETE drops an earlier batch of the same
# transaction, as in an atomic import).
STAGE = "event_stage"
STAGE_COLUMNS = ("member_name", "type", "occurred_at", "amount", "quantity", "reference", "summary")
CREATE_STAGE = f"""
    CREATE TEMPORARY TABLE IF NOT EXISTS {STAGE} (
        member_name text, type text, occurred_at timestamptz, amount numeric,
        quantity integer, reference text, summary text,
        ord bigint GENERATED ALWAYS AS IDENTITY,
        recorded boolean NOT NULL DEFAULT false
    ) ON COMMIT DELETE ROWS;
    DELETE FROM {STAGE};
"""
COPY_STAGE = f"COPY {STAGE} ({', '.join(STAGE_COLUMNS)}) FROM STDIN"
# Temporary tables have no statistics until analysed.
ANALYZE_STAGE = f"ANALYZE {STAGE}"

# Sources of events for ``record``: rows of (customer_id, type, occurred_at, amount,
# quantity, reference, summary), in order.
ARRAY_SOURCE = """
    SELECT * FROM unnest(
        %(customer_ids)s::bigint[], %(types)s::text[], %(times)s::timestamptz[],
        %(amounts)s::numeric[], %(quantities)s::integer[], %(references)s::text[],
        %(summaries)s::text[]
    )
"""
STAGED_SOURCE = f"""
    SELECT c.id, s.type, s.occurred_at, s.amount, s.quantity, s.reference, s.summary
    FROM {STAGE} s
    JOIN {MEMBERS} m ON m.name = s.member_name
    JOIN {CUSTOMERS} c ON c.performer_id = %(performer)s AND c.member_id = m.id
    ORDER BY s.ord
"""


def mail_sent_source(customers_sql: str) -> str:
    """One ``mail_sent`` event (parameters ``type``, ``at``, ``summary``) for every customer
    id that ``customers_sql`` yields, of the performer's own."""
    return f"""
        SELECT c.id, %(type)s, %(at)s::timestamptz, 0::numeric, 1, NULL::text, %(summary)s
        FROM {CUSTOMERS} c
        WHERE c.id IN ({customers_sql}) AND c.performer_id = %(performer)s
        ORDER BY c.id
    """


# What ``record`` runs after the events are in (each may read ``new_events``).
RETURN_EVENTS = "SELECT id, customer_id, reference FROM new_events ORDER BY id"
COUNT_EVENTS = "SELECT count(*) FROM new_events"
LINK_DELIVERIES = f"""
    INSERT INTO {MailDelivery._meta.db_table} (performer_id, mail_id, customer_id, event_id)
    SELECT %(performer)s, %(mail)s, customer_id, id FROM new_events
"""


def _folded(events: str, *, order: str) -> str:
    """The CTEs ``latest`` and ``totals``: per ``customer_id`` of the rows of the CTE
    ``events``, its latest event (ties: the last by ``order``, as in a recount) and what its
    events add to the customer."""
    return f"""latest AS (
    SELECT DISTINCT ON (customer_id) customer_id, occurred_at, type
    FROM {events} ORDER BY customer_id, occurred_at DESC, {order} DESC
),
totals AS (
    SELECT customer_id,
            {COUNTER_SUMS},
            sum(amount) AS earnings,
            min(occurred_at) AS first_contact,
            max(occurred_at) FILTER (WHERE type IN ({SETS_MISSED})) AS missed_at,
            max(occurred_at) FILTER (WHERE type IN ({CLEARS_MISSED})) AS cleared_at,
            bool_or(type IN ({CLEARS_NEW})) AS clears_new,
            bool_or(amount > 0) AS paid
    FROM {events} GROUP BY customer_id
)"""


# A customer (alias ``c``) with the events of its ``totals`` (``t``) and ``latest`` (``l``)
# folded in; a deleted customer who contacts the performer again comes back (A5).
FOLD_IN = f"""
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
                                 ELSE c.status_changed_at END"""


def record(source: str, *, then: str = RETURN_EVENTS) -> str:
    """One statement: insert the events ``source`` yields, fold them into their customers'
    counters, then run ``then``. Parameters: ``performer``, ``active``, ``deleted``, and the
    source's own."""
    return f"""
WITH new_events AS (
    INSERT INTO {EVENTS}
        (performer_id, customer_id, type, occurred_at, amount, quantity, reference, summary,
         recorded_at)
    SELECT %(performer)s, e.*, now() FROM ({source}) AS e
    ON CONFLICT (performer_id, reference) WHERE reference IS NOT NULL DO NOTHING
    RETURNING id, customer_id, type, occurred_at, amount, quantity, reference
),
{_folded("new_events", order="id")},
updated AS (
    UPDATE {CUSTOMERS} c SET {FOLD_IN}
    FROM totals t JOIN latest l USING (customer_id)
    WHERE c.id = t.customer_id
    RETURNING c.id
)
{then}
"""


# --- Importing a staged batch: each customer written once -------------------------------
#
# ``record`` inserts the customers it lacks, then rewrites every customer of the batch (each
# write a new version in each of the customer table's many indexes), and the rhythm rewrites
# the paying ones again. An import knows the whole batch up front (the STAGE), so a new
# customer is inserted with its counters and rhythm already computed from the staged rows,
# and a known one is updated once, counters and rhythm together. Parameters: ``performer``,
# ``active``, ``deleted`` and ``rhythm.params()``.

IMPORT_MEMBERS = f"""
    INSERT INTO {MEMBERS} (name, photo_url, joined_at)
    SELECT DISTINCT member_name, '', now() FROM {STAGE} ORDER BY 1
    ON CONFLICT (name) DO NOTHING
"""
# Staged rows whose reference the performer already has are duplicates.
MARK_RECORDED = f"""
    UPDATE {STAGE} s SET recorded = true
    FROM {EVENTS} e
    WHERE e.performer_id = %(performer)s AND e.reference IS NOT NULL AND e.reference = s.reference
"""
# The batch's customers by member name, and whether this batch created them.
BATCH_CUSTOMERS = "import_customers"
CREATE_BATCH_CUSTOMERS = f"""
    CREATE TEMPORARY TABLE IF NOT EXISTS {BATCH_CUSTOMERS} (
        member_name text, customer_id bigint, fresh boolean
    ) ON COMMIT DELETE ROWS;
    DELETE FROM {BATCH_CUSTOMERS};
"""
_NEW_CUSTOMER = {
    **_CUSTOMER_DEFAULTS,
    **{field: f"coalesce(t.{field}, 0)" for field in COUNTER_FIELDS},
    "earnings": "coalesce(t.earnings, 0)",
    "first_contact": "t.first_contact",
    "last_contact": "l.occurred_at",
    "last_contact_type": "coalesce(l.type, '')",
    "last_missed_call_at": "t.missed_at",
    "missed_call_cleared_at": "t.cleared_at",
    "new_cleared": "coalesce(t.clears_new, false)",
    **{field: f"x.{field}" for field in RHYTHM_FIELDS},
}
# The customers the performer lacks, created with what the staged rows make them (a
# concurrent writer may create one first: it is then a known customer, updated below).
INSERT_NEW_CUSTOMERS = f"""
WITH fresh AS (
    SELECT m.id AS member_id, m.name
    FROM {MEMBERS} m
    WHERE m.name IN (SELECT member_name FROM {STAGE})
      AND NOT EXISTS (
          SELECT FROM {CUSTOMERS} c WHERE c.performer_id = %(performer)s AND c.member_id = m.id
      )
),
batch AS (
    SELECT s.member_name AS customer_id, s.type, s.occurred_at, s.amount, s.quantity, s.ord
    FROM {STAGE} s JOIN fresh f ON f.name = s.member_name
    WHERE NOT s.recorded
),
{_folded("batch", order="ord")},
{rhythm_ctes(scope="SELECT name AS id FROM fresh", events="SELECT * FROM batch")},
inserted AS (
    INSERT INTO {CUSTOMERS} (performer_id, member_id, member_name, {", ".join(_NEW_CUSTOMER)})
    SELECT %(performer)s, f.member_id, f.name, {", ".join(_NEW_CUSTOMER.values())}
    FROM fresh f
    JOIN rhythm x ON x.id = f.name
    LEFT JOIN totals t ON t.customer_id = f.name
    LEFT JOIN latest l ON l.customer_id = f.name
    ORDER BY f.name
    ON CONFLICT (performer_id, member_id) DO NOTHING
    RETURNING member_name, id
)
INSERT INTO {BATCH_CUSTOMERS} SELECT member_name, id, true FROM inserted
"""
# The other customers of the batch, locked in id order (see services._ensure_customers).
LOCK_KNOWN_CUSTOMERS = f"""
WITH locked AS (
    SELECT m.name, c.id
    FROM {MEMBERS} m
    JOIN {CUSTOMERS} c ON c.performer_id = %(performer)s AND c.member_id = m.id
    WHERE m.name IN (SELECT member_name FROM {STAGE})
      AND NOT EXISTS (SELECT FROM {BATCH_CUSTOMERS} b WHERE b.customer_id = c.id)
    ORDER BY c.id FOR UPDATE OF c
)
INSERT INTO {BATCH_CUSTOMERS} SELECT name, id, false FROM locked
"""
UNIQUE_REFERENCE = "event_unique_reference"  # ContactEvent's (performer, reference)
# No ON CONFLICT (its check before each row costs): the references are known to be new, and
# one recorded meanwhile breaks the statement (services._record_staged starts over).
INSERT_STAGED_EVENTS = f"""
    INSERT INTO {EVENTS}
        (performer_id, customer_id, type, occurred_at, amount, quantity, reference, summary,
         recorded_at)
    SELECT %(performer)s, b.customer_id, s.type, s.occurred_at, s.amount, s.quantity,
           s.reference, s.summary, now()
    FROM {STAGE} s JOIN {BATCH_CUSTOMERS} b USING (member_name)
    WHERE NOT s.recorded
    ORDER BY s.ord
"""
# Once the events are in: the known customers, counters and (for those paid) rhythm at once.
_KNOWN_RHYTHM = rhythm_ctes(
    scope="SELECT customer_id AS id FROM totals WHERE paid",
    events=f"""
    SELECT e.customer_id, e.occurred_at, e.amount FROM {EVENTS} e
    WHERE e.performer_id = %(performer)s AND e.customer_id IN (SELECT id FROM scope)""",
)
_KEEP_UNLESS_PAID = ", ".join(
    f"{f} = CASE WHEN x.id IS NULL THEN c.{f} ELSE x.{f} END" for f in RHYTHM_FIELDS
)
FOLD_INTO_KNOWN_CUSTOMERS = f"""
WITH batch AS (
    SELECT b.customer_id, s.type, s.occurred_at, s.amount, s.quantity, s.ord
    FROM {STAGE} s JOIN {BATCH_CUSTOMERS} b USING (member_name)
    WHERE NOT s.recorded AND NOT b.fresh
),
{_folded("batch", order="ord")},
{_KNOWN_RHYTHM}
UPDATE {CUSTOMERS} c SET {FOLD_IN}, {_KEEP_UNLESS_PAID}
FROM totals t JOIN latest l USING (customer_id) LEFT JOIN rhythm x ON x.id = t.customer_id
WHERE c.id = t.customer_id
"""


# --- The recount -----------------------------------------------------------------------------


def recount(*, of_performers: bool) -> str:
    """Per customer with events, the derived fields recounted from the events: of every
    performer, or (``of_performers``) of those in the parameter ``performers``."""
    # A literal condition, not "%(all)s OR performer_id = ANY(…)": an OR with a parameter
    # hides the tenant index from the planner and scans every performer's events.
    scope = "performer_id = ANY(%(performers)s)" if of_performers else "TRUE"
    return f"""
    SELECT customer_id,
           {COUNTER_SUMS},
           sum(amount) AS earnings,
           min(occurred_at) AS first_contact,
           max(occurred_at) AS last_contact,
           (array_agg(type ORDER BY occurred_at DESC, id DESC))[1] AS last_contact_type,
           max(occurred_at) FILTER (WHERE type IN ({SETS_MISSED})) AS last_missed_call_at,
           max(occurred_at) FILTER (WHERE type IN ({CLEARS_MISSED})) AS cleared_at,
           bool_or(type IN ({CLEARS_NEW})) AS mailed
    FROM {EVENTS}
    WHERE {scope}
    GROUP BY customer_id
"""


# Fields derived from the events. Exact ones must equal the recount; one-way ones may be
# ahead of it (a dismissal clears the missed-call flag, a list ends "new" without a mail).
EXACT_FIELDS = (
    *COUNTER_FIELDS,
    "earnings",
    "first_contact",
    "last_contact",
    "last_contact_type",
    "last_missed_call_at",
)
ONE_WAY_FIELDS = ("missed_call_cleared_at", "new_cleared")
DERIVED_FIELDS = (*EXACT_FIELDS, *ONE_WAY_FIELDS)


def derived_values(*, stored: str, recount: str) -> dict[str, str]:
    """SQL for each derived field, from a customer row (alias ``stored``) and its recount
    (alias ``recount``, a row of ``recount()``; NULLs when it has no events)."""
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


def _expected(*, of_performers: bool) -> str:
    """``WITH … expected``: every customer (of ``performers``) with its derived fields as the
    recount says they should be."""
    values = ", ".join(
        f"{value} AS {f}" for f, value in derived_values(stored="c", recount="r").items()
    )
    scope = "c.performer_id = ANY(%(performers)s)" if of_performers else "TRUE"
    return f"""
        WITH recount AS ({recount(of_performers=of_performers)}),
        expected AS (
            SELECT c.id, c.performer_id, c.member_name, {values}
            FROM {CUSTOMERS} c LEFT JOIN recount r ON r.customer_id = c.id
            WHERE {scope}
        )
    """


_DIFFERS = " OR ".join(f"c.{f} IS DISTINCT FROM e.{f}" for f in DERIVED_FIELDS)


def find_drift(*, of_performers: bool) -> str:
    """Customers whose stored derived fields differ from the recount: id, performer id,
    member name, then every ``DERIVED_FIELDS`` as stored, then as recounted."""
    stored = ", ".join(f"c.{f}" for f in DERIVED_FIELDS)
    expected = ", ".join(f"e.{f}" for f in DERIVED_FIELDS)
    return f"""{_expected(of_performers=of_performers)}
        SELECT e.id, e.performer_id, e.member_name, {stored}, {expected}
        FROM expected e JOIN {CUSTOMERS} c ON c.id = e.id
        WHERE {_DIFFERS}
        ORDER BY e.performer_id, e.member_name
    """


def fix_drift(*, of_performers: bool) -> str:
    """Overwrite drifted customers' derived fields with the recount. One-way fields combine
    with the row as it is when updated (a dismissal may land meanwhile)."""
    assignments = ", ".join(
        [
            *(f"{f} = e.{f}" for f in EXACT_FIELDS),
            "missed_call_cleared_at = GREATEST(c.missed_call_cleared_at, e.missed_call_cleared_at)",
            "new_cleared = c.new_cleared OR e.new_cleared",
        ]
    )
    return f"""{_expected(of_performers=of_performers)}
        UPDATE {CUSTOMERS} c SET {assignments}
        FROM expected e
        WHERE c.id = e.id AND ({_DIFFERS})
    """


# Keeps event writers out while a recount is applied; pages still read.
LOCK_EVENTS = f"LOCK TABLE {EVENTS} IN SHARE MODE"
