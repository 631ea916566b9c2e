from __future__ import annotations

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from mycustomers.management.interrupt import cancelling_on_interrupt
from mycustomers.services import purge_deleted


class Command(BaseCommand):
    help = (
        "Erase notes, lists, nickname and follow-up of customers deleted longer ago than the "
        "retention (DELETED_RETENTION_DAYS), with their quotes in the activity and admin "
        "history. Customers, events, mail, offers and feedback are kept. The worker runs it "
        "every night."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--days",
            type=int,
            default=settings.MYCUSTOMERS["DELETED_RETENTION_DAYS"],
            help="retention in days, at least 1 (default: %(default)s)",
        )
        parser.add_argument(
            "--below-retention",
            action="store_true",
            help="allow --days below DELETED_RETENTION_DAYS, for which performers can restore",
        )

    def handle(self, *args, days: int, below_retention: bool, **options) -> None:
        retention = settings.MYCUSTOMERS["DELETED_RETENTION_DAYS"]
        if days < 1:
            raise CommandError(f"--days must be at least 1 (got {days}).")
        if days < retention and not below_retention:
            # Performers are told they can restore deleted customers for that long (SPEC A5).
            raise CommandError(
                f"--days {days} is below the retention of {retention} days, during which "
                "performers can restore deleted customers; add --below-retention to purge anyway."
            )
        with cancelling_on_interrupt():
            purged = purge_deleted(older_than_days=days)
        self.stdout.write(
            f"Purged the private data of {purged:,} deleted customers "
            f"(deleted more than {days} days ago); their events are kept."
        )
