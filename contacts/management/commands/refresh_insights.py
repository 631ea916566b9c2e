"""``manage.py refresh_insights [USERNAME ...]``: every customer's rhythm, trend, scores and
segment as the events and today say (contacts.rhythm), one set-based pass per performer."""

from __future__ import annotations

import time

from django.core.management.base import BaseCommand, CommandError

from contacts import rhythm
from mycustomers.models import Performer


class Command(BaseCommand):
    help = "Refresh customers' rhythm, trend and segment (daily, and after an import)."

    def add_arguments(self, parser):
        parser.add_argument("usernames", nargs="*", help="only these performers (default: all)")
        parser.add_argument("--explain", action="store_true", help="print EXPLAIN ANALYZE")

    def handle(self, *args, usernames, explain, **options):
        performers = Performer.objects.order_by("pk")
        if usernames:
            performers = performers.filter(username__in=usernames)
            missing = set(usernames) - set(performers.values_list("username", flat=True))
            if missing:
                raise CommandError(f"No such performer: {', '.join(sorted(missing))}")
        for performer in performers.iterator():
            if explain:
                self.stdout.write(rhythm.explain_refresh(performer))
            started = time.monotonic()
            changed = rhythm.refresh(performer)
            if options["verbosity"] >= 1:
                self.stdout.write(
                    f"{performer.username}: {changed:,} customer(s) changed "
                    f"in {time.monotonic() - started:.1f} s"
                )
