"""Writing the activity history (SPEC D9) for one customer or a whole selection."""

from __future__ import annotations

from django.db import connection

from contacts.models import Activity


def log_activity(*, performer, customer_ids_sql: str, verb: str, detail: str = "") -> None:
    """One INSERT … SELECT for every customer id the SQL yields (set-based, any size)."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            INSERT INTO {Activity._meta.db_table}
                (performer_id, customer_id, verb, detail, created_at)
            SELECT %s, id, %s, %s, now() FROM ({customer_ids_sql}) AS selected
            """,
            [performer.pk, verb, detail[:500]],
        )
