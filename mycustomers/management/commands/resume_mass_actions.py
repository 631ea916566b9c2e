from django.core.management.base import BaseCommand

from mycustomers import daily_refresh
from mycustomers.jobs import resume_unfinished


class Command(BaseCommand):
    help = (
        "Queue again the background mass actions a stopped worker left unfinished "
        "(run before starting `manage.py db_worker`; harmless while one runs)."
    )

    def handle(self, *args, **options):
        count = resume_unfinished()
        if count:
            self.stdout.write(f"Resumed {count} unfinished mass action(s).")
        daily_refresh.ensure_scheduled()
