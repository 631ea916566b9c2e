from __future__ import annotations

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser

from mycustomers.services import purge_deleted


class Command(BaseCommand):
    help = (
        "Forget notes, lists, nickname and follow-up of customers deleted longer ago than the "
        "retention (DELETED_RETENTION_DAYS). Customers and their events are kept."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--days",
            type=int,
            default=settings.MYCUSTOMERS["DELETED_RETENTION_DAYS"],
            help="retention in days (default: %(default)s)",
        )

    def handle(self, *args, days: int, **options) -> None:
        purged = purge_deleted(older_than_days=max(days, 0))
        self.stdout.write(
            f"Purged the private data of {purged:,} deleted customers "
            f"(deleted more than {days} days ago); their events are kept."
        )
