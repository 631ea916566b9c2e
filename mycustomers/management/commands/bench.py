from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandParser

from mycustomers.devtools.bench import Bench

PARTS = (
    "main",
    "cpu",
    "insights",
    "customer",
    "export",
    "baseline",
    "actions",
    "indexes",
    "record",
    "import",
)


class Command(BaseCommand):
    help = "Benchmark the real request paths and services on a large data set (see README)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--performer", default="bench")
        parser.add_argument("--customers", type=int, default=100_000)
        parser.add_argument("--events", type=int, default=2_000_000)
        parser.add_argument(
            "--performers",
            type=int,
            default=1_000,
            help="other, smaller performers seeded beside the main one",
        )
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument("--repeat", type=int, default=20, help="timed requests per page")
        parser.add_argument("--import-rows", type=int, default=1_000_000)
        # cpu wants production settings (DEBUG off): `make cpu` runs it alone.
        parser.add_argument(
            "--only",
            nargs="*",
            choices=PARTS,
            # indexes: ~20 UPDATEs of every visible customer, each rolled back (long).
            default=[p for p in PARTS if p not in ("cpu", "indexes")],
        )
        parser.add_argument("--quick", action="store_true", help="two sort columns only")
        parser.add_argument(
            "--profile",
            metavar="PREFIX",
            help="with cpu: also profile each page group, to PREFIX-<group>.pstats",
        )
        parser.add_argument("--json", default="bench-results.json", help="where to write results")

    def handle(self, *args, **options) -> None:
        bench = Bench(
            performer=options["performer"],
            repeat=options["repeat"],
            stdout=self.stdout,
            quick=options["quick"],
        )
        bench.ensure_data(
            customers=options["customers"],
            events=options["events"],
            performers=options["performers"],
            seed=options["seed"],
        )
        parts = options["only"]
        if "main" in parts:
            self.stdout.write("Main view (per_page 20 and 50):")
            bench.main_view()
        if "cpu" in parts:
            self.stdout.write("Web-worker CPU per request (cached pages):")
            bench.cpu(Path(options["profile"]) if options["profile"] else None)
        if "insights" in parts:
            self.stdout.write("Insights (refresh_insights, EXPLAIN ANALYZE then timed):")
            bench.insights()
        if "customer" in parts:
            self.stdout.write("Customer pages:")
            bench.detail_pages()
        if "export" in parts:
            self.stdout.write("CSV export (the view, then the bare COPY of its query, in turns):")
            bench.export()
        if "baseline" in parts:
            self.stdout.write("Baselines:")
            bench.baselines()
        if "actions" in parts:
            self.stdout.write("Mass actions over every visible customer (rolled back):")
            bench.mass_actions()
        if "indexes" in parts:
            self.stdout.write("Customer indexes: the read each serves, its write cost, HOT:")
            bench.index_costs()
        if "record" in parts:
            self.stdout.write("Recording events (rolled back):")
            bench.recording()
        if "import" in parts:
            self.stdout.write("Import:")
            bench.importing(options["import_rows"])
        bench.write_json(Path(options["json"]))
