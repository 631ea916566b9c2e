"""Writing the activity history (SPEC D9) for one customer or a whole selection."""

from __future__ import annotations

from django.db import connection

from contacts.models import Activity, ActivityCustomer
from mycustomers.models import Performer

ACTIVITY = Activity._meta.db_table
LINKS = ActivityCustomer._meta.db_table

# One entry for the selection: the customer's own if it holds one customer, else a shared
# one (no customer) with a link row per customer; nothing for an empty selection.
LOG_ACTIVITY = f"""
    WITH entry AS (
        INSERT INTO {ACTIVITY} (performer_id, customer_id, verb, detail, created_at)
        SELECT %(performer)s, CASE WHEN count(*) = 1 THEN min(id) END,
               %(verb)s, %(detail)s, now()
        FROM ({{customers}}) AS selected
        HAVING count(*) > 0
        RETURNING id, customer_id
    )
    INSERT INTO {LINKS} (performer_id, customer_id, activity_id)
    SELECT %(performer)s, selected.id, entry.id FROM entry, ({{customers}}) AS selected
    WHERE entry.customer_id IS NULL
"""


def log_activity(
    *, performer: Performer, customer_ids_sql: str, verb: str, detail: str = ""
) -> None:
    """One entry for every customer id the SQL yields (set-based, any size): 1 INSERT of
    the entry and 1 of its links, whatever the selection's size."""
    with connection.cursor() as cursor:
        cursor.execute(
            LOG_ACTIVITY.format(customers=customer_ids_sql),
            {"performer": performer.pk, "verb": verb, "detail": detail[:500]},
        )
