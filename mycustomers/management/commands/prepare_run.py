"""manage.py prepare_run: what `make run` does before serving, in one process."""

from __future__ import annotations

from django.core.management import call_command
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    # One process, not three: each manage.py start costs seconds of imports on a busy machine.
    help = (
        "Apply migrations, seed the demo data into an empty database (printing the logins), and "
        "queue again the background actions a stopped worker left unfinished."
    )

    def handle(self, *args, **options) -> None:
        call_command("migrate", interactive=False, verbosity=options["verbosity"])
        call_command("seed_demo", if_empty=True, verbosity=options["verbosity"])
        call_command("resume_mass_actions", verbosity=options["verbosity"])
