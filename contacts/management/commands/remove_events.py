"""manage.py remove_events --performer USERNAME (--id ID… | --reference REF… | --out-of-range)."""

from __future__ import annotations

import json

from django.core.management.base import BaseCommand, CommandError, CommandParser

from contacts.removal import chosen_events, describe, remove_events
from mycustomers.management.interrupt import cancelling_on_interrupt
from mycustomers.models import Performer


class Command(BaseCommand):
    help = (
        "Remove contact events of one performer, chosen by id, by reference, or because their "
        "time is outside the accepted range (settings EVENT_TIME_MIN to now + "
        "EVENT_TIME_MAX_AHEAD), then recount that performer's customers; all in one "
        "transaction. Each removed event is printed as a JSON line in the import_events format "
        "(save it to import the events again) and logged to the contacts.audit logger."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--performer", required=True, metavar="USERNAME")
        parser.add_argument(
            "--id", dest="ids", type=int, nargs="+", action="extend", default=[], metavar="ID"
        )
        parser.add_argument(
            "--reference", dest="references", nargs="+", action="extend", default=[], metavar="REF"
        )
        parser.add_argument(
            "--out-of-range",
            action="store_true",
            help="every event of the performer whose time is outside the accepted range",
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="print the events, remove nothing"
        )

    def handle(self, *args, ids, references, out_of_range, dry_run, **options) -> None:
        if not (ids or references or out_of_range):
            raise CommandError("Choose the events with --id, --reference or --out-of-range.")
        username = options["performer"]
        performer = Performer.objects.filter(username=username).first()
        if performer is None:
            raise CommandError(f"Unknown performer {username!r}.", returncode=2)
        events = chosen_events(performer, ids=ids, references=references, out_of_range=out_of_range)
        with cancelling_on_interrupt():
            found = describe(events)
            self._check_found(username, found, ids, references)
            if dry_run:
                removed, recounted = found, 0
            else:
                removal = remove_events(performer=performer, events=events)
                removed, recounted = removal.events, removal.recounted
        for event in removed:
            self.stdout.write(json.dumps(event.as_record(username), ensure_ascii=False))
        verb = "Would remove" if dry_run else "Removed"
        summary = f"{verb} {len(removed):,} event(s) of {username}"
        if not dry_run:
            summary += f"; the recount changed {recounted:,} customer(s)"
        self.stderr.write(summary + ".", style_func=self.style.SUCCESS)

    @staticmethod
    def _check_found(username: str, found, ids: list[int], references: list[str]) -> None:
        # All or nothing: a mistyped id removes nothing, rather than the rest.
        missing = [str(i) for i in ids if i not in {e.id for e in found}]
        missing += [repr(r) for r in references if r not in {e.reference for e in found}]
        if missing:
            raise CommandError(
                f"{username} has no event with id or reference {', '.join(missing)}; "
                "nothing was removed."
            )
