from django.core.management.base import BaseCommand

from mycustomers import daily_refresh, workers


class Command(BaseCommand):
    help = (
        "Queue again the background work that no worker runs any more: tasks of workers "
        "that stopped or have not been seen for WORKER_LEASE_SECONDS, and mass actions "
        "with no task (harmless while workers run: each is handed back once)."
    )

    def handle(self, *args, **options):
        count = workers.reclaim()
        if count:
            self.stdout.write(f"Queued again {count} unfinished background task(s).")
        daily_refresh.ensure_scheduled()
