"""Writing the activity history (SPEC D9) for one customer or a whole selection."""

from __future__ import annotations

from django.db import connection

from contacts import sql
from mycustomers.models import Performer


def log_activity(
    *, performer: Performer, customer_ids_sql: str, verb: str, detail: str = ""
) -> None:
    """One INSERT … SELECT for every customer id the SQL yields (set-based, any size)."""
    with connection.cursor() as cursor:
        cursor.execute(
            sql.log_activity(customer_ids_sql),
            {"performer": performer.pk, "verb": verb, "detail": detail[:500]},
        )
