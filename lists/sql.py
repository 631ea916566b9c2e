"""The lists app's raw SQL: set-based membership writes and each customer's sortable copy of
its list names (``Customer.list_names``: sorted ignoring case, joined by ", ")."""

from __future__ import annotations

from lists.models import CustomerList, Membership
from mycustomers.models import Customer, CustomerStatus

CUSTOMERS = Customer._meta.db_table
LISTS = CustomerList._meta.db_table
MEMBERSHIPS = Membership._meta.db_table
# The order of a customer's list names, everywhere they are joined.
NAME_ORDER = "ORDER BY lower(name), name"


def blocked_among(customers_sql: str) -> str:
    """The blocked customers among the ids that ``customers_sql`` yields."""
    return (
        f"SELECT id FROM {CUSTOMERS} "
        f"WHERE id IN ({customers_sql}) AND status = '{CustomerStatus.BLOCKED}'"
    )


def assign(customers_sql: str) -> str:
    """The customer side of an assignment to the lists ``%(lists)s``, in one UPDATE of the rows
    that change: every customer gets the same names, ends "new", and leaves Blocked
    (parameters ``active``, ``blocked``)."""
    return f"""
        WITH fresh AS (
            SELECT coalesce(string_agg(name, ', ' {NAME_ORDER}), '') AS names
            FROM {LISTS} WHERE id = ANY(%(lists)s::bigint[])
        )
        UPDATE {CUSTOMERS} SET
            list_names = fresh.names,
            new_cleared = true,
            status = %(active)s,
            status_changed_at = CASE WHEN status = %(blocked)s THEN now()
                                     ELSE status_changed_at END
        FROM fresh
        WHERE id IN ({customers_sql})
          AND (list_names <> fresh.names OR NOT new_cleared OR status = %(blocked)s)
    """


def refresh_list_names(selection_table: str) -> str:
    """Recompute ``list_names`` of the customers in ``selection_table``, in one grouped pass,
    rewriting only the rows that change; with ``%(clear_new)s``, end "new" in the same write."""
    return f"""
        UPDATE {CUSTOMERS} c
        SET list_names = fresh.names, new_cleared = c.new_cleared OR %(clear_new)s
        FROM (
            SELECT s.id, coalesce(
                string_agg(l.name, ', ' ORDER BY lower(l.name), l.name), ''
            ) AS names
            FROM {selection_table} s
            LEFT JOIN {MEMBERSHIPS} m ON m.customer_id = s.id
            LEFT JOIN {LISTS} l ON l.id = m.customer_list_id
            GROUP BY s.id
        ) fresh
        WHERE c.id = fresh.id
          AND (c.list_names IS DISTINCT FROM fresh.names
               OR (%(clear_new)s AND NOT c.new_cleared))
    """


def insert_memberships(customers_sql: str) -> str:
    """Every customer ``customers_sql`` yields into each of the lists ``%(lists)s``, once."""
    return f"""
        INSERT INTO {MEMBERSHIPS} (performer_id, customer_list_id, customer_id, added_at)
        SELECT %(performer)s, list_id, s.id, now()
        FROM ({customers_sql}) s CROSS JOIN unnest(%(lists)s::bigint[]) AS list_id
        ON CONFLICT (customer_list_id, customer_id) DO NOTHING
    """
