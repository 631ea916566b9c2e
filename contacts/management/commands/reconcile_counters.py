"""manage.py reconcile_counters [--fix] [--performer USERNAME]: recount counters (SPEC C4)."""

from __future__ import annotations

from datetime import date, datetime

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection

from contacts import rhythm
from contacts.models import ContactEvent
from contacts.reconcile import Drift, find_drift, fix_drift
from mycustomers.management.interrupt import cancelling_on_interrupt
from mycustomers.models import Customer, Performer


class Command(BaseCommand):
    help = (
        "Recount every customer's counters, earnings, first/last contact, missed-call state, "
        "rhythm, trend and segment from their contact events and report each difference. "
        "Exits with status 1 when drift is found and not fixed; --fix repairs it."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--fix", action="store_true", help="repair the drift found")
        parser.add_argument(
            "--performer",
            action="append",
            metavar="USERNAME",
            help="only this performer's customers (repeatable; default: everyone)",
        )

    def handle(self, *args, **options) -> None:
        with cancelling_on_interrupt():
            self._reconcile(options)

    def _reconcile(self, options) -> None:
        performers = self._performers(options["performer"])
        # Fresh planner statistics first: right after a large import the recount was planned
        # without any for the new rows and ran for 14+ minutes instead of 2 s.
        with connection.cursor() as cursor:
            cursor.execute(f"ANALYZE {ContactEvent._meta.db_table}, {Customer._meta.db_table}")
        performer_ids = None if performers is None else list(performers)
        drifts = find_drift(performer_ids)
        names = performers or dict(
            Performer.objects.filter(pk__in={d.performer_id for d in drifts}).values_list(
                "pk", "username"
            )
        )
        for drift in drifts:
            performer = names.get(drift.performer_id, "?")
            self.stdout.write(_describe(performer, drift))
        insight_drifts = self._insight_drifts(performers)
        scope = "" if performers is None else f" of {', '.join(sorted(performers.values()))}"
        if not drifts and not insight_drifts:
            self.stdout.write(self.style.SUCCESS(f"No drift: every customer{scope} matches."))
            return
        if not options["fix"]:
            raise CommandError(
                f"{_customers(len(drifts) + sum(map(len, insight_drifts.values())))}{scope} "
                "drifted from their events; run with --fix to repair.",
                returncode=1,
            )
        fixed = fix_drift(performer_ids) if drifts else 0
        # The insights are derived from the counters' events too: refreshed after them.
        for performer in insight_drifts:
            fixed += rhythm.refresh(performer)
        self.stdout.write(self.style.SUCCESS(f"Fixed {_customers(fixed)}{scope}."))

    def _insight_drifts(self, performers: dict[int, str] | None) -> dict:
        """Each performer's customers whose rhythm, trend or segment differ from a
        recomputation (contacts.rhythm), reported as they are found."""
        found = {}
        scope = Performer.objects.order_by("username")
        if performers is not None:
            scope = scope.filter(pk__in=performers)
        for performer in scope.iterator():
            drifts = rhythm.find_drift(performer)
            for drift in drifts:
                self.stdout.write(_describe(performer.username, drift))
            if drifts:
                found[performer] = drifts
        return found

    @staticmethod
    def _performers(usernames: list[str] | None) -> dict[int, str] | None:
        if not usernames:
            return None
        found = dict(Performer.objects.filter(username__in=usernames).values_list("pk", "username"))
        missing = sorted(set(usernames) - set(found.values()))
        if missing:
            raise CommandError(f"Unknown performer(s): {', '.join(missing)}", returncode=2)
        return found


def _customers(count: int) -> str:
    return f"{count:,} customer{'s' if count != 1 else ''}"


def _describe(performer: str, drift: Drift | rhythm.Drift) -> str:
    changes = "; ".join(
        f"{field} {_show(stored)} → {_show(recounted)}"
        for field, (stored, recounted) in drift.differences.items()
    )
    return f"{performer} / {drift.member_name} (customer {drift.customer_id}): {changes}"


def _show(value: object) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, datetime):
        return value.isoformat(timespec="seconds")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)
