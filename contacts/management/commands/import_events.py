"""manage.py import_events FILE: record contact events from CSV or JSON Lines (SPEC C3)."""

from __future__ import annotations

import sys

from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from contacts.importing import (
    DEFAULT_BATCH_SIZE,
    FIELDS,
    ImportFailed,
    ImportResult,
    import_file,
    settle_import,
)
from mycustomers.management.interrupt import Interrupted, cancelling_on_interrupt


class Command(BaseCommand):
    help = (
        "Import contact events from a CSV file (header row) or JSON Lines file with the fields "
        f"{', '.join(FIELDS)}. Events whose (performer, reference) is already recorded are "
        "skipped, so importing a file twice is harmless. The first bad row stops the import with "
        "its line number; nothing of that batch is applied."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="path to a .csv or .jsonl/.ndjson file, or - for stdin")
        parser.add_argument(
            "--format",
            choices=["csv", "jsonl"],
            help="override the format (default: by extension, else by the first character)",
        )
        parser.add_argument(
            "--create-performers",
            action="store_true",
            help="create unknown performers (with unusable passwords) instead of rejecting rows",
        )
        parser.add_argument(
            "--batch-size",
            type=int,
            default=DEFAULT_BATCH_SIZE,
            help=f"rows per transaction (default {DEFAULT_BATCH_SIZE})",
        )
        parser.add_argument(
            "--atomic",
            action="store_true",
            help="import the whole file in one transaction: all or nothing",
        )
        parser.add_argument(
            "--from-line",
            type=int,
            default=0,
            metavar="N",
            help="skip data rows before line N (resume after fixing a bad row)",
        )

    def handle(self, *args, **options) -> None:
        if options["batch_size"] < 1:
            raise CommandError("--batch-size must be at least 1")
        show = options["verbosity"] >= 1
        progress = tqdm(
            unit=" rows",
            unit_scale=True,
            file=sys.stderr,
            disable=not show or not sys.stderr.isatty(),
            desc="Importing",
        )

        committed = ImportResult()

        def on_batch(result: ImportResult) -> None:
            nonlocal committed
            committed = result
            progress.update(result.rows - progress.n)
            if options["verbosity"] >= 2:
                self.stdout.write(
                    f"  through line {result.committed_through_line:,}: "
                    f"{result.inserted:,} inserted, {result.duplicates:,} duplicates"
                )

        try:
            with cancelling_on_interrupt():
                result = import_file(
                    options["file"],
                    fmt=options["format"],
                    create_performers=options["create_performers"],
                    batch_size=options["batch_size"],
                    atomic=options["atomic"],
                    from_line=options["from_line"],
                    on_batch=on_batch,
                )
        except FileNotFoundError as exc:
            raise CommandError(f"{options['file']}: no such file") from exc
        except IsADirectoryError as exc:
            raise CommandError(f"{options['file']}: is a directory") from exc
        except ImportFailed as exc:
            progress.close()
            if exc.result is not None:
                settle_import(exc.result)
            raise CommandError(self._failure(exc, atomic=options["atomic"])) from exc
        except Interrupted as exc:
            progress.close()
            if options["atomic"] or not committed.committed_through_line:
                raise Interrupted(
                    f"{exc}\nNothing was imported.", returncode=exc.returncode
                ) from None
            settle_import(committed)
            raise Interrupted(
                f"{exc}\nRows through line {committed.committed_through_line:,} were imported; "
                f"to go on, import again with --from-line {committed.committed_through_line + 1}.",
                returncode=exc.returncode,
            ) from None
        progress.close()
        settle_import(result)
        if show:
            self.stdout.write(self.style.SUCCESS(f"Imported: {result.summary()}"))

    @staticmethod
    def _failure(exc: ImportFailed, *, atomic: bool) -> str:
        result = exc.result
        if atomic or result is None or not result.committed_through_line:
            return f"{exc}\nNothing was imported."
        return (
            f"{exc}\nRows through line {result.committed_through_line:,} were imported "
            f"({result.inserted:,} events, {result.duplicates:,} duplicates skipped); nothing "
            "after that was applied. Fix the row and import again: rows with a reference are "
            f"skipped, rows without one would be recorded twice, so add "
            f"--from-line {result.committed_through_line + 1} (or use --atomic)."
        )
