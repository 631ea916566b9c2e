"""manage.py seed_demo: a realistic, deterministic demo data set (SPEC C2)."""

from __future__ import annotations

import sys
from datetime import UTC, datetime

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from mycustomers.devtools.demo_data import (
    DEFAULT_PASSWORD,
    DEFAULT_PERFORMER,
    SeedError,
    SeedOptions,
    admin_login_line,
    demo_login_line,
    ensure_demo_admin,
    seed,
)
from mycustomers.models import Customer, Performer


def _anchor(value: str) -> datetime:
    try:
        day = datetime.strptime(value, "%Y-%m-%d")
    except ValueError as exc:
        raise CommandError(f"--anchor {value!r}: expected YYYY-MM-DD") from exc
    return day.replace(tzinfo=UTC)


def _positive(value: str) -> int:
    number = int(value)
    if number < 0:
        raise ValueError(value)
    return number


class Command(BaseCommand):
    help = (
        "Seed a realistic demo data set: a main performer (default 'demo') with customers, "
        "events of every contact type, offers, feedback, notes, lists and activity, plus a few "
        "smaller performers sharing some members. The same --seed gives the same data."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        defaults = SeedOptions()
        parser.add_argument("--seed", type=int, default=defaults.seed, help="random seed (1)")
        parser.add_argument(
            "--performer",
            default=DEFAULT_PERFORMER,
            help=f"username of the main performer ({DEFAULT_PERFORMER})",
        )
        parser.add_argument(
            "--password",
            default=DEFAULT_PASSWORD,
            help="password of the seeded performers (printed at the end)",
        )
        parser.add_argument(
            "--customers",
            type=_positive,
            default=defaults.customers,
            help=f"customers of the main performer ({defaults.customers:,})",
        )
        parser.add_argument(
            "--events",
            type=_positive,
            default=defaults.events,
            help=f"contact events of the main performer ({defaults.events:,})",
        )
        parser.add_argument(
            "--performers",
            type=_positive,
            default=defaults.performers,
            help=f"other, smaller performers ({defaults.performers})",
        )
        parser.add_argument(
            "--replace",
            action="store_true",
            help="wipe the seeded performers' existing data first",
        )
        parser.add_argument(
            "--if-empty",
            action="store_true",
            help="do nothing (but print the demo login) when the database has any customers",
        )
        parser.add_argument(
            "--anchor",
            type=str,
            help="the day times are relative to, YYYY-MM-DD (default: today, UTC)",
        )

    def handle(self, *args, **options) -> None:
        if options["if_empty"] and Customer.objects.exists():
            self.stdout.write("The database already has customers: not seeding.")
            self._print_login(options["performer"], options["password"])
            return
        seed_options = SeedOptions(
            seed=options["seed"],
            performer=options["performer"],
            password=options["password"],
            customers=options["customers"],
            events=options["events"],
            performers=options["performers"],
            replace=options["replace"],
            anchor=_anchor(options["anchor"]) if options["anchor"] else None,
        )
        _, other_events = seed_options.other_size()
        total = seed_options.events + seed_options.performers * other_events
        with tqdm(
            total=total,
            unit=" events",
            unit_scale=True,
            desc="Seeding",
            file=sys.stderr,
            disable=options["verbosity"] < 1 or not sys.stderr.isatty(),
        ) as bar:
            try:
                result = seed(seed_options, progress=bar.update)
            except SeedError as exc:
                raise CommandError(str(exc)) from exc
        # The demo's events are copied in, not recorded: their insights come from a refresh.
        call_command("refresh_insights", verbosity=0)
        self.stdout.write(
            f"Seeded {len(result.performers)} performer(s), {result.members:,} members, "
            f"{result.customers:,} customers and {result.events:,} events "
            f"in {result.elapsed:.1f} s."
        )
        self._print_login(seed_options.performer, seed_options.password)

    def _print_login(self, username: str, password: str) -> None:
        performer = Performer.objects.filter(username=username).first()
        if performer is None:
            return
        if performer.check_password(password):
            self.stdout.write(self.style.SUCCESS(demo_login_line(username, password)))
        else:
            self.stdout.write(f"Demo performer: {username} (password changed since seeding)")
        # Development settings only (DEMO_ADMIN): a known superuser password must never
        # reach a production database.
        if settings.DEMO_ADMIN:
            if ensure_demo_admin(password).check_password(password):
                self.stdout.write(self.style.SUCCESS(admin_login_line(password)))
            else:
                self.stdout.write("Demo admin: admin (password changed since seeding)")
