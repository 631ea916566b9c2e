"""The benchmark behind ``manage.py bench`` (issue 8): real request paths, measured.

Pages go through the whole Django stack in-process (test client, logged in), so "server
time" is middleware + view + SQL + template rendering, without network. Each page is warmed
up, then timed ``repeat`` times; we report median and p95 and the SQL query count.
"""

from __future__ import annotations

import csv
import io
import json
import math
import os
import platform
import statistics
import tempfile
import time
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from unittest import mock

from django.conf import settings
from django.core.cache import caches
from django.core.management import call_command
from django.db import connection, transaction
from django.db.models import Count, Q, Sum
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from psycopg import ClientCursor

from contacts import rhythm
from contacts.mail import send_mail
from contacts.models import ContactEvent
from contacts.reconcile import find_drift
from contacts.services import NewEvent, record_events
from contacts.types import EFFECTS, ContactType
from lists.models import CustomerList
from lists.services import set_customer_lists
from mycustomers import counts
from mycustomers.devtools import cpu, write_costs
from mycustomers.export import export_query
from mycustomers.jobs import apply_next_chunk, undo_deletion
from mycustomers.models import Customer, MassAction, Performer, new_since
from mycustomers.services import block_customers, delete_customers
from mycustomers.tables import DEFAULT_SORT, visible_columns

SORT_KEYS = [
    "customer",
    "live_calls",
    "recorded_calls",
    "mail_sent",
    "mail_received",
    "goody_bags",
    "chat_volleys",
    "feeds",
    "earnings",
    "last_contact",
    "contact_type",
    "lists",
    "due",
]


# The writes of each mass action over every visible customer, as plain set-based SQL: the
# floor the services are measured against (memberships, the customer rows, the history: one
# shared entry and its customers, contacts.activity).
def _logged(verb: str, detail: str = "''") -> str:
    return f"""
    WITH entry AS (
        INSERT INTO contacts_activity (performer_id, verb, detail, created_at)
        VALUES (%(performer)s, '{verb}', {detail}, now()) RETURNING id)
    INSERT INTO contacts_activitycustomer (performer_id, customer_id, activity_id)
    SELECT %(performer)s, changed.id, entry.id FROM changed, entry"""


RAW_BLOCK = f"""
    DELETE FROM lists_membership WHERE performer_id = %(performer)s AND customer_id IN (
        SELECT id FROM mycustomers_customer
        WHERE performer_id = %(performer)s AND status = 'active');
    CREATE TEMPORARY TABLE changed ON COMMIT DROP AS
    WITH rows AS (
        UPDATE mycustomers_customer SET status = 'blocked', status_changed_at = now(),
            new_cleared = true, list_names = ''
        WHERE performer_id = %(performer)s AND status = 'active' RETURNING id)
    SELECT id FROM rows;
    {_logged("blocked")}
"""
RAW_DELETE = f"""
    CREATE TEMPORARY TABLE changed ON COMMIT DROP AS
    WITH rows AS (
        UPDATE mycustomers_customer SET status = 'deleted', status_changed_at = now()
        WHERE performer_id = %(performer)s AND status = 'active' RETURNING id)
    SELECT id FROM rows;
    {_logged("deleted")}
"""
RAW_RESTORE = f"""
    CREATE TEMPORARY TABLE changed ON COMMIT DROP AS
    WITH rows AS (
        UPDATE mycustomers_customer SET status = 'active', status_changed_at = now()
        WHERE performer_id = %(performer)s AND status = 'deleted'
            AND status_changed_at = %(deleted_at)s RETURNING id)
    SELECT id FROM rows;
    {_logged("restored")}
"""
RAW_ASSIGN = f"""
    DELETE FROM lists_membership WHERE performer_id = %(performer)s
        AND NOT customer_list_id = ANY(%(lists)s) AND customer_id IN (
            SELECT id FROM mycustomers_customer
            WHERE performer_id = %(performer)s AND status = 'active');
    INSERT INTO lists_membership (performer_id, customer_list_id, customer_id, added_at)
    SELECT %(performer)s, l, c.id, now() FROM mycustomers_customer c, unnest(%(lists)s) AS l
    WHERE c.performer_id = %(performer)s AND c.status = 'active'
    ON CONFLICT DO NOTHING;
    CREATE TEMPORARY TABLE changed ON COMMIT DROP AS
    WITH rows AS (
        UPDATE mycustomers_customer SET list_names = %(names)s, new_cleared = true
        WHERE performer_id = %(performer)s AND status = 'active' RETURNING id)
    SELECT id FROM rows;
    {_logged("lists_changed", "'Lists set to: ' || %(names)s")}
"""


@contextmanager
def insights_kept(kept: bool):
    """``kept=False``: events recorded as before the insights existed (the comparison that
    measures what keeping them costs)."""
    if kept:
        yield
        return
    with (
        mock.patch.object(rhythm, "update_customers", lambda *a, **k: None),
        mock.patch.object(rhythm, "refresh", lambda *a, **k: 0),
    ):
        yield


@dataclass
class Result:
    group: str
    name: str
    median_ms: float
    p95_ms: float
    queries: int | None = None
    extra: dict = field(default_factory=dict)


def machine_load() -> dict:
    """The machine's load as a figure is taken: the 1-minute load average and the share of
    the last 10 s in which some task waited for a CPU (``/proc/pressure/cpu``, "some avg10").
    Figures taken under different loads are not comparable; side by side ones are."""
    load = {"load1": round(os.getloadavg()[0], 2)}
    try:
        first = Path("/proc/pressure/cpu").read_text().splitlines()[0]
        load["cpu_some_avg10"] = float(first.split("avg10=")[1].split()[0])
    except (OSError, IndexError, ValueError):  # no PSI on this kernel
        pass
    return load


def spread(values: list[float]) -> str:
    """min–max of a few ratios, as the report gives them."""
    return f"{min(values):.2f}–{max(values):.2f}"


def percentile(values: list[float], pct: float) -> float:
    """Nearest rank: the smallest value with at least ``pct`` % of the values at or below it
    (p95 of 20 samples is the 19th)."""
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, math.ceil(pct / 100 * len(ordered)) - 1))
    return ordered[index]


def timed(fn: Callable[[], object], repeat: int, warmup: int = 2) -> tuple[list[float], int]:
    for _ in range(warmup):
        fn()
    with CaptureQueriesContext(connection) as captured:
        fn()
    queries = len(captured)
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - start) * 1000)
    return samples, queries


class Bench:
    def __init__(self, *, performer: str, repeat: int, stdout, quick: bool = False):
        self.username = performer
        self.repeat = repeat
        self.out = stdout
        self.quick = quick
        self.results: list[Result] = []

    # -- data -----------------------------------------------------------------------------

    def ensure_data(self, *, customers: int, events: int, performers: int, seed: int) -> None:
        performer = Performer.objects.filter(username=self.username).first()
        have = Customer.objects.filter(performer=performer).count() if performer else 0
        if performer and have >= customers * 0.95:
            self.out.write(f"Reusing {have:,} customers of '{self.username}'.")
        else:
            self.out.write(
                f"Seeding {customers:,} customers / {events:,} events for "
                f"'{self.username}' and {performers:,} other performers…"
            )
            start = time.perf_counter()
            call_command(
                "seed_demo",
                performer=self.username,
                customers=customers,
                events=events,
                performers=performers,
                seed=seed,
                replace=True,
            )
            elapsed = time.perf_counter() - start
            self.out.write(f"Seeded in {elapsed:.1f} s.")
            self.record(
                "data",
                f"seed_demo {customers:,} / {events:,} + {performers:,} performers",
                [elapsed * 1000],
                None,
            )
        self.data_size()

    def data_size(self) -> None:
        """The database's size, beside the customers it holds (every performer's): the
        figure per 100,000 customers is what a performer's data costs on disk."""
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_database_size(current_database())")
            size = cursor.fetchone()[0]
            cursor.execute(
                "SELECT pg_total_relation_size(%s::regclass), pg_total_relation_size(%s::regclass)",
                [Customer._meta.db_table, ContactEvent._meta.db_table],
            )
            customer_table, event_table = cursor.fetchone()
        total = Customer.objects.count()
        megabytes = {
            "database_mb": round(size / 1e6),
            "customer_table_mb": round(customer_table / 1e6),
            "event_table_mb": round(event_table / 1e6),
            "mb_per_100k_customers": round(size / 1e6 * 100_000 / max(1, total)),
        }
        self.results.append(Result("data", "database size", 0.0, 0.0, None, {
            **megabytes, "customers": total, **machine_load()}))  # fmt: skip
        self.out.write(
            f"  {'data':<12} database {megabytes['database_mb']:,} MB for {total:,} customers "
            f"(customers {megabytes['customer_table_mb']:,} MB, events "
            f"{megabytes['event_table_mb']:,} MB): "
            f"{megabytes['mb_per_100k_customers']:,} MB per 100,000 customers"
        )

    @property
    def performer(self) -> Performer:
        return Performer.objects.get(username=self.username)

    # -- pages ----------------------------------------------------------------------------

    def record(
        self, group: str, name: str, samples: list[float], queries: int | None, **extra
    ) -> None:
        load = machine_load()
        result = Result(
            group,
            name,
            round(statistics.median(samples), 2),
            round(percentile(samples, 95), 2),
            queries,
            {**extra, **load},
        )
        self.results.append(result)
        self.out.write(
            f"  {group:<12} {name:<44} median {result.median_ms:8.2f} ms  "
            f"p95 {result.p95_ms:8.2f} ms  queries {queries}  "
            f"load {load['load1']:.1f} cpu-wait {load.get('cpu_some_avg10', '?')} %"
        )

    def side_by_side(
        self, group: str, name: str, ours: Callable, anchor: Callable, anchor_name: str, runs: int
    ) -> None:
        """``ours`` and its ``anchor`` (the raw SQL or COPY that does the same work) timed in
        turns, ``runs`` times each, so that both see the same machine: the ratio of each pair
        and their spread. Each callable runs once and returns its milliseconds."""
        pairs = [(ours(), anchor()) for _ in range(runs)]
        ratios = [a / o for o, a in pairs]  # speed of ours as a fraction of the anchor's
        self.record(group, name, [o for o, _ in pairs], None)
        self.record(group, anchor_name, [a for _, a in pairs], None)
        self.results[-2].extra.update(
            speed_vs_anchor=round(statistics.median(ratios), 3), spread=spread(ratios)
        )
        self.out.write(
            f"    → {anchor_name}: ours runs at {statistics.median(ratios):.2f}× its speed "
            f"(pairs {spread(ratios)}; 1.00 = as fast)"
        )

    def page(self, client: Client, group: str, name: str, url: str, *, cold=False) -> None:
        """``cold``: every request counts again, as the first one after a change does."""

        def get():
            if cold:
                caches[counts.CACHE].clear()
            response = client.get(url)
            if response.status_code != 200:
                raise RuntimeError(f"{url} answered {response.status_code}")
            return response

        samples, queries = timed(get, self.repeat)
        self.record(group, name, samples, queries, url=url)

    def main_pages(self) -> tuple[list[tuple[str, str, str]], dict[str, str]]:
        """The main view's pages as (group, name, URL): every sort both ways and the last
        pages at 20 and 50 rows, then the filters; and the filters' query strings by name."""
        base = reverse("customers:list")
        total = Customer.objects.for_performer(self.performer).visible().count()
        sorts = SORT_KEYS if not self.quick else ["last_contact", "earnings"]
        pages = []
        for per_page in (20, 50):
            group = f"main/{per_page}"
            last = max(1, -(-total // per_page))
            for key in sorts:
                for sort in (key, f"-{key}"):
                    pages.append(
                        (group, f"sort={sort} page=1", f"{base}?sort={sort}&per_page={per_page}")
                    )
            pages.append(
                (group, f"last page ({last:,})", f"{base}?per_page={per_page}&page={last}")
            )
            pages.append(
                (
                    group,
                    "last page, sort=-earnings",
                    f"{base}?per_page={per_page}&page={last}&sort=-earnings",
                )
            )
        lists = CustomerList.objects.for_performer(self.performer)
        biggest = lists.annotate(n=Count("memberships")).order_by("-n").first()
        filters = {
            "search 'ann'": "q=ann",
            "search 'a' (1 char)": "q=a",
            "letter B": "letter=B",
            "letter #": "letter=%23",
            "list new": "list=new",
            "list unassigned": "list=unassigned",
            "list blocked": "list=blocked",
            "overdue": "overdue=1",
            "overdue sort=due": "overdue=1&sort=due",
            "segment Champions": "segment=Champions",
            "segment At risk sort=-earnings": "segment=At+risk&sort=-earnings",
        }
        if biggest:
            filters[f"list '{biggest.name}'"] = f"list={biggest.pk}"
            filters[f"letter M in '{biggest.name}'"] = f"list={biggest.pk}&letter=M"
        pages.extend(("filter", name, f"{base}?{params}") for name, params in filters.items())
        return pages, filters

    def main_view(self) -> None:
        client = Client(HTTP_HOST="localhost")
        client.force_login(self.performer)
        base = reverse("customers:list")
        pages, filters = self.main_pages()
        # The deepest pages: the paginator reads from the nearer end, so the middle is the
        # farthest from both.
        total = Customer.objects.for_performer(self.performer).visible().count()
        for per_page in (20, 50):
            middle = max(1, -(-total // per_page) // 2)
            for sort in ("customer", "-earnings"):
                pages.append(
                    (
                        f"main/{per_page}",
                        f"middle page ({middle:,}), sort={sort}",
                        f"{base}?per_page={per_page}&page={middle}&sort={sort}",
                    )
                )
        for group, name, url in pages:
            self.page(client, group, name, url)
        # The same pages as the first request after a write sees them: nothing cached.
        last_page = max(1, -(-total // 20))
        cold = {
            "sort=customer page=1": "",
            f"last page ({last_page:,})": f"page={last_page}",
            **filters,
        }
        for name, params in cold.items():
            self.page(client, "uncached", name, f"{base}?{params}", cold=True)

    def insights(self) -> None:
        """One set-based refresh of the performer's insights, timed, and its plan."""
        plan = rhythm.explain_refresh(self.performer)
        self.out.write(plan)
        samples, queries = timed(lambda: rhythm.refresh(self.performer), 2, warmup=1)
        execution = next(
            (line.split(":")[1].strip() for line in plan.splitlines() if "Execution Time" in line),
            "",
        )
        self.record(
            "insights", "refresh_insights (one performer)", samples, queries, plan=execution
        )

    def customer_pages(self) -> list[tuple[str, str, str]]:
        """The detail and history pages of the customer with the most events."""
        top = (
            ContactEvent.objects.filter(performer=self.performer)
            .values("customer_id")
            .annotate(n=Count("id"))
            .order_by("-n")
            .first()
        )
        if not top:
            return []
        pk, events = top["customer_id"], top["n"]
        return [
            ("customer", f"{name} ({events:,} events)", reverse(f"customers:{name}", args=[pk]))
            for name in ("detail", "history")
        ]

    def detail_pages(self) -> None:
        client = Client(HTTP_HOST="localhost")
        client.force_login(self.performer)
        for group, name, url in self.customer_pages():
            self.page(client, group, name, url)

    def cpu(self, profile_to: Path | None = None) -> None:
        """The web worker's CPU per request (``mycustomers.devtools.cpu``): every main-view
        sort and filter, the customer pages and the lists page, all cached as after the
        first request. Run with production settings (``make cpu``): DEBUG off."""
        self.out.write(
            f"  settings {settings.SETTINGS_MODULE}, DEBUG {'on' if settings.DEBUG else 'off'}"
            f"; load average {os.getloadavg()[0]:.2f}; figures are CPU ms of this process"
        )
        client = cpu.WsgiClient(self.performer)
        pages = [
            *self.main_pages()[0],
            *self.customer_pages(),
            ("lists", "lists page", reverse("lists:index")),
        ]
        for group, name, url in pages:
            samples, wall = cpu.cpu_samples(cpu.checked(client, url), self.repeat)
            self.record(
                f"cpu/{group}", name, samples, None, url=url, wall_median_ms=statistics.median(wall)
            )
        if profile_to is not None:
            for group in ("main/20", "main/50", "filter", "customer"):
                gets = [cpu.checked(client, url) for g, _, url in pages if g == group]
                path = profile_to.with_name(f"{profile_to.name}-{group.replace('/', '')}.pstats")
                self.out.write(f"Profile of {group} ({path}):")
                self.out.write(cpu.profile(gets, max(1, self.repeat // 4), path))

    def baselines(self) -> None:
        """Our page against (a) a naive per-request aggregate and (b) the admin changelist."""
        performer = self.performer
        live_call_types = [c for c, e in EFFECTS.items() if e.counter == "live_calls"]

        def naive():
            rows = list(
                Customer.objects.filter(performer=performer)
                .annotate(
                    calls=Count("events", filter=Q(events__type__in=live_call_types)),
                    total=Sum("events__amount"),
                )
                .order_by("-calls", "member_name")[:20]
            )
            return rows

        samples, queries = timed(naive, max(3, self.repeat // 4), warmup=1)
        self.record("baseline", "naive annotate(Count) sort=-live_calls", samples, queries)

        admin = Performer.objects.filter(is_superuser=True).first()
        if admin is None:
            admin = Performer.objects.create_superuser("bench-admin", password=None)
        client = Client(HTTP_HOST="localhost")
        client.force_login(admin)
        url = reverse("admin:mycustomers_customer_changelist")
        samples, queries = timed(
            lambda: client.get(f"{url}?performer__id__exact={performer.pk}&o=-1"),
            max(3, self.repeat // 4),
            warmup=1,
        )
        self.record("baseline", "admin changelist (performer filter)", samples, queries)

    # -- writes ---------------------------------------------------------------------------

    def rolled_back(self, name: str, action: Callable[[], object]) -> None:
        start = time.perf_counter()
        with transaction.atomic():
            outcome = action()
            # The foreign-key checks a commit would run (they are deferred), then roll back.
            with connection.cursor() as cursor:
                cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            elapsed = (time.perf_counter() - start) * 1000
            transaction.set_rollback(True)
        self.record("action", name, [elapsed], None, outcome=str(outcome))

    @staticmethod
    def rolled_back_ms(action: Callable[[], object]) -> float:
        """``action`` in a transaction, with the checks its commit would run, rolled back."""
        start = time.perf_counter()
        with transaction.atomic():
            action()
            with connection.cursor() as cursor:
                cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            elapsed = (time.perf_counter() - start) * 1000
            transaction.set_rollback(True)
        return elapsed

    @staticmethod
    def raw(statements: str, performer: Performer, **params) -> None:
        with connection.cursor() as cursor:
            cursor.execute(statements, {"performer": performer.pk, **params})

    def background_action(
        self,
        name: str,
        form: dict,
        anchor: Callable[[], float] | None = None,
        queue: Callable[[], object] | None = None,
    ) -> None:
        """A mass action over everyone through its view (which queues it: the time the
        performer waits), then its chunks as the worker applies them, each with the checks
        its commit would run; all rolled back. ``queue``: what queues the action instead of
        the view (and what it needs done first, untimed, in the same transaction: it returns
        the callable to time). With ``anchor`` (the raw SQL of the same writes, timed as
        ``rolled_back_ms``) right after it: the ratio of the whole action to it."""
        client = Client(HTTP_HOST="localhost")
        client.force_login(self.performer)
        with transaction.atomic():
            if queue is not None:
                request = queue()
                start = time.perf_counter()
                request()
                request_ms = (time.perf_counter() - start) * 1000
            else:
                start = time.perf_counter()
                response = client.post(reverse(f"customers:{name}"), form)
                request_ms = (time.perf_counter() - start) * 1000
                if response.status_code != 302:
                    raise RuntimeError(f"{name} answered {response.status_code}")
            action = MassAction.objects.for_performer(self.performer).latest("pk")
            chunks = []
            more = True
            while more:
                start = time.perf_counter()
                more = apply_next_chunk(action.pk)
                with connection.cursor() as cursor:
                    cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
                chunks.append((time.perf_counter() - start) * 1000)
            action.refresh_from_db()
            transaction.set_rollback(True)
        self.record("action", f"{name} all: request (queues {action.total:,})", [request_ms], None)
        self.record(
            "action",
            f"{name} all: background, per transaction",
            chunks,
            None,
            chunks=len(chunks),
            total_ms=round(sum(chunks)),
            changed=action.changed,
        )
        self.out.write(
            f"  {'':<12} {'':<44} {len(chunks)} transactions, {sum(chunks):,.0f} ms in all"
        )
        if anchor is not None:
            raw_ms = anchor()
            total = request_ms + sum(chunks)
            self.results[-1].extra.update(
                raw_ms=round(raw_ms), ratio_to_raw=round(total / raw_ms, 2)
            )
            self.out.write(
                f"  {'':<12} {'':<44} request + chunks {total:,.0f} ms; raw SQL of the same "
                f"writes, one transaction: {raw_ms:,.0f} ms: {total / raw_ms:.2f}× the raw"
            )

    def mass_actions(self) -> None:
        performer = self.performer
        everyone = Customer.objects.for_performer(performer).visible()
        lists = list(CustomerList.objects.for_performer(performer)[:2])
        names = ", ".join(sorted((lst.name for lst in lists), key=str.casefold))
        list_ids = [lst.pk for lst in lists]

        def raw(statements: str, **params) -> Callable[[], float]:
            return lambda: self.rolled_back_ms(lambda: self.raw(statements, performer, **params))

        def delete_all():
            return delete_customers(performer=performer, customers=everyone)

        # As the performer does them: queued by the request, applied in the background, each
        # then beside the raw set-based SQL of the same writes in one transaction.
        everything = {"scope": "all", "next": "/customers/"}
        self.background_action("block", everything, raw(RAW_BLOCK))
        self.background_action("delete", everything, raw(RAW_DELETE))

        # Undo of a delete of everyone: the restore that brings every row back into the
        # partial indexes (the delete before it is untimed, in the same transaction).
        def undo_queued() -> Callable[[], object]:
            deleted_at = delete_all().deleted_at
            return lambda: undo_deletion(
                performer=performer, deleted_at=deleted_at, background_delete=None
            )

        def raw_undo() -> float:
            with transaction.atomic():
                deleted_at = delete_all().deleted_at
                ms = self.rolled_back_ms(
                    lambda: self.raw(RAW_RESTORE, performer, deleted_at=deleted_at)
                )
                transaction.set_rollback(True)
            return ms

        self.background_action(
            "undo delete",
            {},
            raw_undo,
            queue=undo_queued,
        )
        self.background_action(
            "assign",
            {**everything, "lists": list_ids},
            raw(RAW_ASSIGN, lists=list_ids, names=names),
        )
        self.background_action("send_mail", {**everything, "subject": "Bench", "body": "Hello"})
        # For comparison: each in one transaction, as a selection below the threshold runs,
        # in turns with the raw set-based SQL that makes the same writes.
        self.side_by_side(
            "action",
            "block all in one transaction",
            lambda: self.rolled_back_ms(
                lambda: block_customers(performer=performer, customers=everyone)
            ),
            lambda: self.rolled_back_ms(lambda: self.raw(RAW_BLOCK, performer)),
            "block: raw SQL, the same writes",
            2,
        )
        self.side_by_side(
            "action",
            "delete all in one transaction",
            lambda: self.rolled_back_ms(
                lambda: delete_customers(performer=performer, customers=everyone)
            ),
            lambda: self.rolled_back_ms(lambda: self.raw(RAW_DELETE, performer)),
            "delete: raw SQL, the same writes",
            2,
        )
        self.side_by_side(
            "action",
            "assign all to 2 lists in one transaction",
            lambda: self.rolled_back_ms(
                lambda: set_customer_lists(performer=performer, customers=everyone, lists=lists)
            ),
            lambda: self.rolled_back_ms(
                lambda: self.raw(
                    RAW_ASSIGN, performer, lists=[lst.pk for lst in lists], names=names
                )
            ),
            "assign: raw SQL, the same writes",
            2,
        )
        self.rolled_back(
            "send mail to all in one transaction",
            lambda: (
                send_mail(
                    performer=performer, customers=everyone, subject="Bench", body="Hello"
                ).sent
            ),
        )
        # The rolled-back rows are dead but clear the visibility map of their pages: until a
        # vacuum, index-only scans (the counts) read the table again, for this and the next run.
        # (VACUUM cannot run inside a transaction, as under the test suite.)
        if not connection.in_atomic_block:
            with connection.cursor() as cursor:
                cursor.execute("VACUUM (ANALYZE) mycustomers_customer")

    def index_costs(self) -> None:
        """What each customer index saves its reads and costs a mass write, and the HOT
        share by fill factor (mycustomers.devtools.write_costs)."""
        performer = self.performer
        load = machine_load()
        self.out.write(f"  (load {load})")
        self.results.append(
            Result(
                "indexes",
                "reads",
                0,
                0,
                extra={"rows": write_costs.read_costs(performer, self.out), **load},
            )
        )
        self.results.append(
            Result(
                "indexes",
                "writes",
                0,
                0,
                extra={"rows": write_costs.write_costs(performer, self.out), **machine_load()},
            )
        )
        self.results.append(
            Result(
                "indexes",
                "activity shapes",
                0,
                0,
                extra={"rows": write_costs.activity_shapes(performer, self.out), **machine_load()},
            )
        )
        self.results.append(
            Result(
                "indexes",
                "hot",
                0,
                0,
                extra={"rows": write_costs.hot_fractions(performer, self.out), **machine_load()},
            )
        )

    def recording(self) -> None:
        performer = self.performer
        names = list(
            Customer.objects.for_performer(performer).values_list("member_name", flat=True)[:5000]
        )
        now = datetime.now(UTC)

        def events(n: int, offset: int) -> list[NewEvent]:
            return [
                NewEvent(
                    names[(offset + i) % len(names)],
                    ContactType.CHAT,
                    now - timedelta(seconds=offset + i),
                    Decimal("1.50"),
                    3,
                )
                for i in range(n)
            ]

        cases = [(1, 300, True), (1000, 10, False), (1000, 10, True)] * (1 if self.quick else 2)
        for batch_size, batches, insights in cases:
            with transaction.atomic(), insights_kept(insights):
                start = time.perf_counter()
                for b in range(batches):
                    record_events(performer=performer, events=events(batch_size, b * batch_size))
                    with connection.cursor() as cursor:  # each batch's deferred FK checks
                        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
                elapsed = time.perf_counter() - start
                drift = len(list(find_drift([performer.pk]))) if batch_size == 1000 else None
                transaction.set_rollback(True)
            rate = batch_size * batches / elapsed
            self.record(
                "record",
                f"batches of {batch_size}" + ("" if insights else ", without insights"),
                [elapsed * 1000 / batches],
                None,
                events_per_s=round(rate),
                drift=drift,
            )
            self.out.write(
                f"    → {rate:,.0f} events/s" + (f", drift {drift}" if drift is not None else "")
            )

    def export(self, runs: int = 5) -> None:
        """The CSV export of every visible customer through its view (streamed and read to
        the end), in turns with the bare COPY of the same query read by the same driver."""
        performer = self.performer
        client = Client(HTTP_HOST="localhost")
        client.force_login(performer)
        url = reverse("customers:export")
        # The view's own order (no sort in its URL: the default one), not another one.
        key = DEFAULT_SORT.removeprefix("-")
        rows = Customer.objects.for_performer(performer).visible()
        rows = rows.sorted_by(key, descending=DEFAULT_SORT.startswith("-"))
        query = export_query(
            rows,
            visible_columns(performer.columns),
            today=datetime.now(performer.zone).date(),
            since=new_since(),
            zone=performer.zone,
        )
        select = ClientCursor(connection.connection).mogrify(*query)
        sizes = {}

        def view() -> float:
            start = time.perf_counter()
            response = client.get(url)
            sizes["view"] = sum(len(chunk) for chunk in response.streaming_content)
            return (time.perf_counter() - start) * 1000

        def bare_copy() -> float:
            start = time.perf_counter()
            size = 0
            with (
                connection.cursor() as cursor,
                cursor.copy(f"COPY ({select}) TO STDOUT WITH (FORMAT csv)") as copy,
            ):
                for row in copy:
                    size += len(row)
            sizes["copy"] = size
            return (time.perf_counter() - start) * 1000

        view()  # warm-up: the table and its sort index in the cache
        self.side_by_side(
            "export",
            f"export view, {rows.count():,} rows",
            view,
            bare_copy,
            "bare COPY of the same query",
            runs,
        )
        self.out.write(f"    → {sizes['view']:,} bytes (COPY {sizes['copy']:,} + CR per row)")

    def importing(self, rows: int) -> None:
        """The same file imported without, then with, the insights (their per-batch update
        and the refresh at the end), side by side."""
        for insights in (False, True):
            with insights_kept(insights):
                self._import(rows, label="" if insights else ", without insights")

    def _import(self, rows: int, *, label: str) -> None:
        run = datetime.now(UTC).strftime("%Y%m%d%H%M%S%f")
        username = f"bench-import-{run}"
        names = [f"bench-import-member-{i}" for i in range(20_000)]
        types = list(ContactType.values)
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "events.csv"
            base = datetime(2025, 1, 1, tzinfo=UTC)
            with path.open("w", newline="") as handle:
                writer = csv.writer(handle)
                writer.writerow(
                    [
                        "performer",
                        "member",
                        "type",
                        "occurred_at",
                        "amount",
                        "quantity",
                        "reference",
                        "summary",
                    ]
                )
                for i in range(rows):
                    writer.writerow(
                        [
                            username,
                            names[i % len(names)],
                            types[i % len(types)],
                            (base + timedelta(seconds=i * 7)).isoformat(),
                            f"{(i % 5000) / 100:.2f}",
                            1 + i % 3,
                            f"R{i}",
                            "",
                        ]
                    )
            start = time.perf_counter()
            call_command("import_events", str(path), create_performers=True, stdout=io.StringIO())
            elapsed = time.perf_counter() - start
        rate = rows / elapsed
        copy_rate = self._copy_events(rows)
        keyed_rate = self._copy_events(rows, foreign_keys=True)
        self.record(
            "import",
            f"import_events {rows:,} rows{label}",
            [elapsed * 1000],
            None,
            rows_per_s=round(rate),
            copy_rows_per_s=round(copy_rate),
            speed_vs_copy=round(rate / copy_rate, 3),
            copy_with_foreign_keys_rows_per_s=round(keyed_rate),
            speed_vs_copy_with_foreign_keys=round(rate / keyed_rate, 3),
        )
        self.out.write(
            f"    → {rate:,.0f} rows/s; COPY of the same rows into a table with the events' "
            f"indexes and checks: {copy_rate:,.0f} rows/s; import at {rate / copy_rate:.2f}× COPY; "
            f"COPY into one with their foreign keys too: {keyed_rate:,.0f} rows/s "
            f"({rate / keyed_rate:.2f}×)"
        )
        performer = Performer.objects.get(username=username)
        with connection.cursor() as cursor:  # clean up: the events of a throw-away performer
            for table in (
                "contacts_activity",
                "lists_membership",
                "contacts_contactevent",
                "mycustomers_customer",
            ):
                cursor.execute(f"DELETE FROM {table} WHERE performer_id = %s", [performer.pk])
        performer.delete()

    def _copy_events(self, rows: int, *, foreign_keys: bool = False) -> float:
        """Rows/s of a COPY of ``rows`` events into a new table like the events' (its
        indexes and checks, no triggers; ``foreign_keys``: and the events' two, checked at
        commit as theirs are, against the bench performer's customers), committed, then
        dropped."""
        types = list(ContactType.values)
        base = datetime(2025, 1, 1, tzinfo=UTC)
        now = datetime.now(UTC)
        columns = (
            "type, occurred_at, amount, quantity, reference, summary, recorded_at, "
            "customer_id, performer_id"
        )
        with connection.cursor() as cursor:
            cursor.execute(
                "CREATE TABLE bench_copy_events (LIKE contacts_contactevent "
                "INCLUDING DEFAULTS INCLUDING IDENTITY INCLUDING CONSTRAINTS INCLUDING INDEXES)"
            )
            if foreign_keys:
                cursor.execute(
                    "ALTER TABLE bench_copy_events "
                    "ADD CONSTRAINT bench_copy_customer FOREIGN KEY (customer_id) "
                    "REFERENCES mycustomers_customer DEFERRABLE INITIALLY DEFERRED, "
                    "ADD CONSTRAINT bench_copy_performer FOREIGN KEY (performer_id) "
                    "REFERENCES performer DEFERRABLE INITIALLY DEFERRED"
                )
            performer = self.performer
            customers = list(
                Customer.objects.filter(performer=performer)
                .order_by("id")
                .values_list("id", flat=True)[:20_000]
            )
            try:
                start = time.perf_counter()
                with (
                    transaction.atomic(),
                    cursor.copy(f"COPY bench_copy_events ({columns}) FROM STDIN") as copy,
                ):
                    for i in range(rows):
                        copy.write_row(
                            (
                                types[i % len(types)],
                                base + timedelta(seconds=i * 7),
                                Decimal(i % 5000) / 100,
                                1 + i % 3,
                                f"R{i}",
                                "",
                                now,
                                customers[i % len(customers)],
                                performer.pk,
                            )
                        )
                return rows / (time.perf_counter() - start)
            finally:
                if foreign_keys and connection.in_atomic_block:
                    # Nothing committed (inside a test's transaction): the checks are pending.
                    cursor.execute(
                        "SET CONSTRAINTS bench_copy_customer, bench_copy_performer IMMEDIATE"
                    )
                cursor.execute("DROP TABLE bench_copy_events")

    # -- report ---------------------------------------------------------------------------

    def write_json(self, path: Path) -> None:
        with connection.cursor() as cursor:
            cursor.execute("SHOW server_version")
            pg_version = cursor.fetchone()[0]
        payload = {
            "when": datetime.now(UTC).isoformat(timespec="seconds"),
            "machine": {
                "cores": os.cpu_count(),
                "python": platform.python_version(),
                "postgresql": pg_version,
                "platform": platform.platform(),
            },
            "performer": self.username,
            "customers": Customer.objects.for_performer(self.performer).count(),
            "events": ContactEvent.objects.filter(performer=self.performer).count(),
            "results": [asdict(r) for r in self.results],
        }
        path.write_text(json.dumps(payload, indent=2))
        self.out.write(f"Results written to {path}")
