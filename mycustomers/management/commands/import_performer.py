"""manage.py import_performer FILE [--replace] [--as NEWNAME]: load a performer file."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError, CommandParser

from mycustomers.management.interrupt import cancelling_on_interrupt
from mycustomers.portability.format import open_file
from mycustomers.portability.importing import ImportRefused, import_performer


class Command(BaseCommand):
    help = (
        "Load a file written by export_performer, in one transaction: all of it, or nothing "
        "and a message naming the first bad line. A performer of that name must not exist "
        "unless --replace (their data is deleted and replaced) or --as NEWNAME is given."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="a performer file (.gz: gzip-compressed)")
        parser.add_argument(
            "--replace",
            action="store_true",
            help="the performer exists: delete their data and import the file's instead",
        )
        parser.add_argument(
            "--as", dest="as_name", metavar="NEWNAME", help="import under this username"
        )

    def handle(self, *args, file: str, replace: bool, as_name: str | None, **options) -> None:
        try:
            with cancelling_on_interrupt(), open_file(file, "rb") as stream:
                result = import_performer(stream, as_name=as_name, replace=replace)
        except ImportRefused as error:
            raise CommandError(f"Nothing imported: {error}", returncode=1) from None
        except (OSError, EOFError) as error:  # a missing file, a truncated .gz
            reason = getattr(error, "strerror", None) or error
            raise CommandError(
                f"Nothing imported: cannot read {file}: {reason}", returncode=1
            ) from None
        self.stdout.write(result.summary())
