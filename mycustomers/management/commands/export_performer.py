"""manage.py export_performer NAME FILE: one performer's data as a performer file."""

from __future__ import annotations

import os

from django.core.management.base import BaseCommand, CommandError, CommandParser

from mycustomers.management.interrupt import cancelling_on_interrupt
from mycustomers.portability.exporting import ExportError, export_performer
from mycustomers.portability.format import open_file


class Command(BaseCommand):
    help = (
        "Write everything a performer owns (account, customers, events, lists, smart lists, "
        "saved views, notes, offers, mail, feedback, activity) to FILE as versioned JSON Lines "
        "(gzip-compressed if FILE ends in .gz); import_performer reads it back."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("name", help="the performer's username")
        parser.add_argument("file", help="the file to write (replaced once complete)")

    def handle(self, *args, name: str, file: str, **options) -> None:
        # Written beside, then renamed: a stopped export never leaves a half file under FILE.
        partial = f"{file}.partial"
        try:
            with cancelling_on_interrupt(), open_file(partial, "wb", name=file) as out:
                result = export_performer(name, out)
            os.replace(partial, file)
        except ExportError as error:
            raise CommandError(str(error), returncode=1) from None
        except OSError as error:
            raise CommandError(f"Cannot write {file}: {error.strerror or error}") from None
        finally:
            if os.path.exists(partial):
                os.remove(partial)
        self.stdout.write(f"{result.summary()} → {file}")
