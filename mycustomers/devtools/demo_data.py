"""A realistic, deterministic demo data set (SPEC C2), loaded in bulk.

``seed(SeedOptions(...))`` creates a main performer (``demo``) with thousands of customers and
a few smaller performers who share some members with it. The same options give the same data:
every random choice comes from ``random.Random`` seeded from ``--seed`` and the performer's
name, and every time is an offset from a fixed anchor (midnight UTC today, or ``--anchor``).

Speed: member names come from small Faker pools combined in Python (Faker makes ~12k names/s);
members, customers, events, deliveries, memberships, offers, feedback, notes and activity are
streamed with ``COPY``, one phase of every performer at a time (``_load_all``), so a thousand
small performers cost a few statements, not a few thousand. Customers are staged in a
temporary table and inserted once, in one set-based statement, with their counters recounted
from the events already loaded — the same recount (``contacts.reconcile``) that
``reconcile_counters`` checks — so no row is written twice. A big load (``BULK_EVENTS``) goes
into the tables without their secondary indexes and foreign keys, which are put back after
it (one sort and one join each), as a restore does.
"""

from __future__ import annotations

import bisect
import collections
import itertools
import os
import random
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal

from django.contrib.auth.hashers import make_password
from django.db import connection, transaction
from faker import Faker

from contacts.models import (
    Activity,
    ActivityVerb,
    ContactEvent,
    Feedback,
    Mail,
    MailDelivery,
    Note,
    Offer,
)
from contacts.sql import derived_values, recount
from contacts.types import ContactType
from lists.models import CustomerList, Membership
from mycustomers.models import Customer, CustomerStatus, FollowUpStatus, Member, Performer

DEFAULT_PASSWORD = "demo-customers-2024"
DEFAULT_PERFORMER = "demo"
DAY = 86_400
HISTORY_DAYS = 730
MAX_PERFORMERS = 5_000
OTHER_CUSTOMERS_TOTAL = 20_000
MAX_OTHER_CUSTOMERS = 200


class SeedError(Exception):
    """The seed cannot run as asked; the message says why and what to do."""


@dataclass(frozen=True)
class SeedOptions:
    seed: int = 1
    performer: str = DEFAULT_PERFORMER
    password: str = DEFAULT_PASSWORD
    customers: int = 2_000
    events: int = 40_000
    performers: int = 5  # other, smaller performers
    replace: bool = False
    anchor: datetime | None = None  # default: midnight UTC today

    def resolved_anchor(self) -> datetime:
        if self.anchor is not None:
            return self.anchor
        now = datetime.now(UTC)
        return now.replace(hour=0, minute=0, second=0, microsecond=0)

    def other_names(self) -> list[str]:
        """demo.luna … demo.lyric, then demo.luna1 … for more than twenty."""
        stages = len(_STAGE_NAMES)
        return [
            f"{self.performer}.{_STAGE_NAMES[i % stages]}{i // stages or ''}"
            for i in range(self.performers)
        ]

    def other_size(self) -> tuple[int, int]:
        """Customers and events of each other performer: smaller than the main one, and
        smaller still when there are many of them (at most ~20,000 customers in all)."""
        customers = max(
            1,
            min(
                MAX_OTHER_CUSTOMERS,
                self.customers // 10,
                OTHER_CUSTOMERS_TOTAL // max(1, self.performers),
            ),
        )
        return customers, customers * max(1, self.events // max(1, self.customers))


@dataclass
class SeedResult:
    performers: list[str] = field(default_factory=list)
    members: int = 0
    customers: int = 0
    events: int = 0
    elapsed: float = 0.0


# -- vocabulary --------------------------------------------------------------------------

_STAGE_NAMES = [
    "luna", "rose", "jade", "nova", "sage", "iris", "opal", "raven", "aurora", "willow",
    "ember", "skye", "indigo", "celeste", "saffron", "juniper", "marigold", "onyx", "echo",
    "lyric",
]  # fmt: skip
_ADJECTIVES = [
    "Silver", "Lucky", "Night", "Blue", "Happy", "Wild", "Lonely", "Sunny", "Golden", "Cosmic",
    "Midnight", "Gentle", "Brave", "Quiet", "Mystic", "Crazy", "Cool", "Lost", "Old", "Red",
]  # fmt: skip
_NOUNS = [
    "Wolf", "Fox", "Rider", "Star", "Dreamer", "Traveler", "Seeker", "Heart", "Moon", "Sailor",
    "Eagle", "Knight", "Soul", "Bear", "Owl", "Tiger", "Poet", "Drifter", "Angel", "Phoenix",
]  # fmt: skip
_NICKNAMES = [
    "Big Spender", "Tuesday regular", "Night owl", "Tarot fan", "the sailor", "Dog lover",
    "Career questions", "Long calls", "Sweet talker", "Astro nerd", "Always tips",
    "Travels a lot", "Shy one", "Birthday in May", "Newlywed",
]  # fmt: skip
_LIST_NAMES = [
    "VIP", "Weekend callers", "Tarot regulars", "Big tippers", "Late night", "follow up",
    "Mail only", "birthday club", "Astrology", "Love & relationships", "Career", "Dream work",
]  # fmt: skip
_NOTES = [
    "Prefers evening calls, after 9pm his time.",
    "Asked about a career reading for next month.",
    "Going through a divorce; be gentle.",
    "Loves the weekly horoscope mail — keep him on it.",
    "Birthday coming up: send an offer.",
    "Wants to book a long session when he's back from travelling.",
    "Mentioned his dog Max; ask how he's doing.",
    "Prefers chat over calls at work.",
    "Tips well after good news.",
    "Sensitive about money questions.",
    "Follow up about the job interview result.",
    "Recommended me to a friend.",
]
_COMMENTS = {
    5: [
        "Amazing reading, spot on!",
        "She really listened. Thank you!",
        "Best advisor on the site.",
        "Accurate and kind, will call again.",
        "",
    ],
    4: ["Very helpful, a bit rushed at the end.", "Good call, gave me a lot to think about.", ""],
    3: ["It was okay.", "Some things fit, some didn't.", ""],
    2: ["Felt generic.", "Connection kept dropping."],
    1: ["Not what I expected.", "Didn't answer my question."],
}
_MAIL_SUBJECTS = [
    "Your weekly forecast",
    "A little something for you",
    "Thinking of you",
    "New moon reading tonight",
    "Special this weekend",
    "I'm back from vacation",
    "Your card of the month",
]
# Subjects that fit some months only: a mail goes out with one of them in season.
SEASONAL_SUBJECTS = {
    "Happy holidays!": {12},
    "Happy New Year!": {1},
    "A Valentine's reading for you": {2},
    "Summer evenings, open lines": {6, 7, 8},
}
# Events are written as COPY text (``write_events``): their summaries need no escaping.
assert not any(
    {"\t", "\n", "\r", "\\"} & set(subject) for subject in [*_MAIL_SUBJECTS, *SEASONAL_SUBJECTS]
)
_MAIL_BODY = "Hi! I hope you're doing well. I'm online tonight if you'd like to talk. Warmly, me"

# Contact types: (type, weight, amount range in cents or None for free, quantity range).
_TYPES = [
    (ContactType.CALL_RECEIVED, 26, (500, 15000), None),
    (ContactType.CALL_FEATURED_RECEIVED, 5, (500, 15000), None),
    (ContactType.CALLBACK_RECEIVED, 5, (500, 12000), None),
    (ContactType.CALLBACK_ATTEMPT, 3, None, None),
    (ContactType.CALL_MISSED, 4, None, None),
    (ContactType.CUSTOMER_MISSED_CALL, 2, None, None),
    (ContactType.RECORDED_CALL, 6, (199, 2999), None),
    (ContactType.MAIL_SENT, 9, None, None),
    (ContactType.MAIL_SENT_SOLD, 4, (200, 2500), None),
    (ContactType.MAIL_INVITATION_SENT, 2, None, None),
    (ContactType.MAIL_TIP_SENT, 1, None, None),
    (ContactType.MAIL_RECEIVED, 7, None, None),
    (ContactType.MAIL_RECEIVED_SOLD, 4, (100, 2000), None),
    (ContactType.MAIL_TIP_RECEIVED, 2, (100, 5000), None),
    (ContactType.CHAT, 12, (10, 60), (1, 60)),  # amount per volley
    (ContactType.GOODY_BAG, 3, (500, 5000), (1, 3)),  # amount per bag
    (ContactType.FEED_SUBSCRIPTION, 2, (499, 1999), None),
]
assert {t[0] for t in _TYPES} == set(ContactType), "every contact type is seeded"
_TYPE_CUMULATIVE = list(itertools.accumulate(t[1] for t in _TYPES))


# -- plan ---------------------------------------------------------------------------------


@dataclass
class _Customer:
    id: int
    member_id: int
    member_name: str
    first: int  # epoch seconds
    end: int  # last contact, epoch seconds
    events: int
    missed_call: bool = False  # the last event is a missed call
    dismissed: bool = False
    status: str = CustomerStatus.ACTIVE
    status_changed: int | None = None
    lists: list[int] = field(default_factory=list)
    nickname: str = ""
    follow_up: str = ""


class _Rng(random.Random):
    def between(self, start: int, end: int) -> int:
        return start if end <= start else self.randint(start, end)


def _rng(seed: int, *parts: object) -> _Rng:
    return _Rng(":".join(map(str, (seed, *parts))))


class NamePool:
    """Unique, realistic member names: Faker pools, combined many ways."""

    def __init__(self, seed: str, taken: set[str]):
        faker = Faker("en_US")
        faker.seed_instance(seed)
        self.first = list(dict.fromkeys(faker.first_name() for _ in range(1500)))
        self.last = list(dict.fromkeys(faker.last_name() for _ in range(1500)))
        self.rng = _rng(seed, "names")
        self.taken = taken

    def make(self) -> str:
        rng, first, last = self.rng, self.rng.choice(self.first), self.rng.choice(self.last)
        pattern = rng.random()
        if pattern < 0.22:
            name = f"{first}{last}"
        elif pattern < 0.38:
            name = f"{first.lower()}_{last.lower()}"
        elif pattern < 0.54:
            name = f"{first}{rng.randint(50, 99) if rng.random() < 0.6 else rng.randint(1, 2024)}"
        elif pattern < 0.66:
            name = f"{first}{last[0]}"
        elif pattern < 0.78:
            name = f"{rng.choice(_ADJECTIVES)}{rng.choice(_NOUNS)}"
        elif pattern < 0.86:
            name = f"{first.lower()}.{last.lower()}{rng.randint(1, 99)}"
        else:  # names starting with a digit: the "0-9" and "#" navigation needs them
            name = f"{rng.randint(1, 99)}{rng.choice(_ADJECTIVES)}{rng.choice(_NOUNS)}"
        while name in self.taken:
            name = f"{name}{rng.randint(0, 9)}"
        self.taken.add(name)
        return name[: Member._meta.get_field("name").max_length]


# -- seeding ------------------------------------------------------------------------------


def seed(options: SeedOptions, progress: Callable[[int], None] | None = None) -> SeedResult:
    """Create the demo data set in one transaction; see the module docstring."""
    if options.customers < 1:
        raise SeedError("--customers must be at least 1")
    if options.events < options.customers:
        raise SeedError("--events must be at least --customers: every customer has a contact")
    if not 0 <= options.performers <= MAX_PERFORMERS:
        raise SeedError(f"--performers must be between 0 and {MAX_PERFORMERS:,}")
    started = time.monotonic()
    progress = progress or (lambda n: None)
    anchor = int(options.resolved_anchor().timestamp())
    usernames = [options.performer, *options.other_names()]
    result = SeedResult(performers=usernames)
    with transaction.atomic():
        performers = _prepare_performers(usernames, options)
        taken: set[str] = set()
        names = NamePool(f"{options.seed}:{options.performer}", taken)
        main_names = [names.make() for _ in range(options.customers)]
        plans = [(performers[0], main_names, options.events, 0)]
        other_customers, other_events = options.other_size()
        for index, performer in enumerate(performers[1:], start=1):
            rng = _rng(options.seed, performer.username, "members")
            shared = rng.sample(main_names, min(len(main_names), other_customers * 2 // 5))
            own = [names.make() for _ in range(other_customers - len(shared))]
            plans.append((performer, sorted(shared) + own, other_events, index))
        member_ids = _load_members(
            sorted({n for _, member_names, _, _ in plans for n in member_names}), anchor
        )
        result.members = len(member_ids)
        loaders = [
            _PerformerLoader(performer, options.seed, anchor, progress)
            for performer, _, _, _ in plans
        ]
        events = sum(plan[2] for plan in plans)
        with _bulk_load(_BULK_MODELS, enabled=_loads_in_bulk(events)):
            _load_all(loaders, [(member_names, n) for _, member_names, n, _ in plans], member_ids)
        result.customers = sum(len(member_names) for _, member_names, _, _ in plans)
        result.events = events
    _analyze(Member, Customer, ContactEvent, Membership, Offer, Feedback, Note, Activity)
    result.elapsed = time.monotonic() - started
    return result


def _prepare_performers(usernames: list[str], options: SeedOptions) -> list[Performer]:
    existing = {p.username: p for p in Performer.objects.filter(username__in=usernames)}
    busy = sorted(
        Customer.objects.filter(performer__in=existing.values())
        .values_list("performer__username", flat=True)
        .distinct()
    )
    if busy and not options.replace:
        raise SeedError(
            f"{', '.join(busy)} already {'has' if len(busy) == 1 else 'have'} customers: "
            "use --replace to wipe and reseed, or --performer NAME for another data set."
        )
    if busy:
        _wipe([existing[name].pk for name in busy])
    password = make_password(options.password)  # hashed once: the same for every account
    performers = []
    for username in usernames:
        performer = existing.get(username) or Performer(username=username)
        performer.password = password
        performer.first_name = username.split(".")[-1].capitalize()
        performer.save()
        performers.append(performer)
    return performers


def _wipe(performer_ids: list[int]) -> None:
    """Everything the seed creates for these performers (members are platform-wide: kept)."""
    with connection.cursor() as cursor:
        for model in (
            MailDelivery,
            Mail,
            Activity,
            Note,
            Feedback,
            Offer,
            Membership,
            CustomerList,
            ContactEvent,
            Customer,
        ):
            cursor.execute(
                f"DELETE FROM {model._meta.db_table} WHERE performer_id = ANY(%s)",
                [performer_ids],
            )


def _load_members(names: list[str], anchor: int) -> dict[str, int]:
    """Insert the members that don't exist yet; return every name's id."""
    rng = _rng(0, "joined")
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TEMPORARY TABLE seed_member (name text, joined_at timestamptz) ON COMMIT DROP"
        )
        with cursor.copy("COPY seed_member (name, joined_at) FROM STDIN") as copy:
            for name in names:
                joined = anchor - HISTORY_DAYS * DAY - rng.randint(0, 1500 * DAY)
                copy.write_row((name, _ts(joined)))
        table = Member._meta.db_table
        cursor.execute(
            f"""
            INSERT INTO {table} (name, photo_url, joined_at)
            SELECT name, '', joined_at FROM seed_member ORDER BY name
            ON CONFLICT (name) DO NOTHING
            """
        )
        cursor.execute(f"SELECT m.name, m.id FROM {table} m JOIN seed_member s USING (name)")
        ids = dict(cursor.fetchall())
        cursor.execute("DROP TABLE seed_member")
    return ids


_STAGE = "seed_customer"
_STAGED_FIELDS = (
    "id",
    "performer_id",
    "member_id",
    "member_name",
    "nickname",
    "status",
    "status_changed_at",
    "follow_up",
    "affiliate_referral",
    "new_cleared",
    "list_names",
    "missed_call_cleared_at",
    "created_at",
)
_STAGE_COLUMNS = (
    "id bigint, performer_id bigint, member_id bigint, member_name text, nickname text, "
    "status text, status_changed_at timestamptz, follow_up text, affiliate_referral boolean, "
    "new_cleared boolean, list_names text, missed_call_cleared_at timestamptz, "
    "created_at timestamptz"
)


def _analyze(*models) -> None:
    """Statistics for the planner; after a committed seed also the visibility map (VACUUM),
    without which the pages' index-only scans read the table's rows again."""
    command = "ANALYZE" if connection.in_atomic_block else "VACUUM (ANALYZE)"
    with connection.cursor() as cursor:
        for model in models:
            cursor.execute(f"{command} {model._meta.db_table}")


# -- bulk mode ------------------------------------------------------------------------------

# A load this big goes in without the tables' secondary indexes and foreign keys: built
# afterwards in one sort each, and checked by one join each, instead of an index entry and a
# deferred check (at commit) per row.
BULK_EVENTS = 200_000
_BULK_MODELS = (ContactEvent, Customer, MailDelivery, Membership, Offer, Feedback, Note, Activity)
# Index builds: a sort in memory, with a worker beside the leader.
_BULK_SETTINGS = {"maintenance_work_mem": "1GB", "max_parallel_maintenance_workers": "2"}

_SECONDARY_INDEXES = """
    SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid)
    FROM pg_index i
    WHERE i.indrelid = ANY(%s::regclass[])
      AND NOT EXISTS (
          SELECT 1 FROM pg_constraint c
          WHERE c.conindid = i.indexrelid AND c.conrelid = i.indrelid
            AND c.contype IN ('p', 'u', 'x'))
    ORDER BY i.indrelid, i.indexrelid
"""
_FOREIGN_KEYS = """
    SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid)
    FROM pg_constraint
    WHERE contype = 'f' AND conrelid = ANY(%s::regclass[])
    ORDER BY conrelid, conname
"""


def _loads_in_bulk(events: int) -> bool:
    """Bulk mode when the load is big, and bigger than the events already there (rebuilding
    the indexes sorts every row of the tables, not just the new ones)."""
    if events < BULK_EVENTS:
        return False
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT greatest(reltuples, 0) FROM pg_class WHERE oid = %s::regclass",
            [ContactEvent._meta.db_table],
        )
        return cursor.fetchone()[0] <= events


@contextmanager
def _bulk_load(models, *, enabled: bool) -> Iterator[None]:
    """Inside a transaction: drop the tables' secondary indexes and foreign keys, and put them
    back exactly as they were (their own definitions) after the load. A failure rolls the
    DDL back with the rest."""
    if not enabled:
        yield
        return
    tables = [model._meta.db_table for model in models]
    with connection.cursor() as cursor:
        # ALTER TABLE refuses a table with deferred checks pending: run them now.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute(_SECONDARY_INDEXES, [tables])
        indexes = cursor.fetchall()
        cursor.execute(_FOREIGN_KEYS, [tables])
        foreign_keys = cursor.fetchall()
        for table, name, _ in foreign_keys:
            cursor.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
        for name, _ in indexes:
            cursor.execute(f"DROP INDEX {name}")
        cursor.execute("SET CONSTRAINTS ALL DEFERRED")
    yield
    with connection.cursor() as cursor:
        for name, value in _BULK_SETTINGS.items():
            cursor.execute("SELECT set_config(%s, %s, true)", [name, value])
        for _, definition in indexes:
            cursor.execute(definition)
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        for table, name, definition in foreign_keys:
            cursor.execute(f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}')
        cursor.execute("SET CONSTRAINTS ALL DEFERRED")
        for name in _BULK_SETTINGS:
            cursor.execute("SELECT set_config(%s, current_setting(%s, true), true)", [name, name])


# -- loading --------------------------------------------------------------------------------


def _load_all(
    loaders: list[_PerformerLoader],
    plans: list[tuple[list[str], int]],
    member_ids: dict[str, int],
) -> None:
    """Every performer's data, phase by phase across the performers: one statement or COPY
    a phase however many performers. Each performer's random choices come from its own
    generator in the same order as when it was loaded alone, so the data is the same."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
            [Customer._meta.db_table, sum(len(names) for names, _ in plans)],
        )
        customer_ids = iter([row[0] for row in cursor.fetchall()])
    for loader, (names, events) in zip(loaders, plans, strict=True):
        loader.plan(names, [next(customer_ids) for _ in names], member_ids, events)
    CustomerList.objects.bulk_create([lst for loader in loaders for lst in loader.lists])
    Mail.objects.bulk_create([mail for loader in loaders for mail in loader.mail_rows])
    _stage_customers(loaders)
    # Foreign keys are checked at commit (deferred): events may precede their customers.
    deliveries = _copy_events(loaders)
    _insert_customers(loaders)
    with (
        connection.cursor() as cursor,
        cursor.copy(
            f"COPY {MailDelivery._meta.db_table} (performer_id, mail_id, customer_id, event_id) "
            "FROM STDIN"
        ) as copy,
    ):
        copy.write("".join(deliveries))
    _copy_extras(loaders)


def _copy_rows(model, columns: tuple[str, ...], rows: Iterator[tuple]) -> None:
    with (
        connection.cursor() as cursor,
        cursor.copy(f"COPY {model._meta.db_table} ({', '.join(columns)}) FROM STDIN") as copy,
    ):
        for row in rows:
            copy.write_row(row)


def _stage_customers(loaders: list[_PerformerLoader]) -> None:
    """The customers' own fields, into a temporary table; counters come later."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"CREATE TEMPORARY TABLE IF NOT EXISTS {_STAGE} ({_STAGE_COLUMNS}) ON COMMIT DROP"
        )
        cursor.execute(f"TRUNCATE {_STAGE}")
        with cursor.copy(f"COPY {_STAGE} FROM STDIN") as copy:
            for loader in loaders:
                for row in loader.staged_rows():
                    copy.write_row(row)
        cursor.execute(f"ANALYZE {_STAGE}")


def _reserve_event_ids(count: int) -> int:
    """The first of ``count`` consecutive event ids, taken from the sequence at once: the
    seed knows each event's id as it writes it (its mail delivery points at it). Other
    writers of events wait until the seed commits, so none takes an id in between."""
    table = ContactEvent._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(f"LOCK TABLE {table} IN EXCLUSIVE MODE")
        cursor.execute(
            "SELECT setval(s, nextval(s) + %s - 1) FROM pg_get_serial_sequence(%s, 'id') AS s",
            [count, table],
        )
        return cursor.fetchone()[0] - count + 1


def _copy_events(loaders: list[_PerformerLoader]) -> list[str]:
    """Stream every performer's events; returns the mail deliveries they make (COPY lines)."""
    event_ids = itertools.count(_reserve_event_ids(sum(loader.events for loader in loaders)))
    deliveries: list[str] = []
    columns = (
        "id, performer_id, customer_id, type, occurred_at, amount, quantity, reference, "
        "summary, recorded_at"
    )
    with (
        connection.cursor() as cursor,
        cursor.copy(f"COPY {ContactEvent._meta.db_table} ({columns}) FROM STDIN") as copy,
    ):
        for loader in loaders:
            loader.write_events(copy.write, event_ids, deliveries)
    return deliveries


_DAY_PREFIXES: dict[int, str] = {}
_CLOCK: list[str] = []


def _copy_timestamp(epoch: int) -> str:
    """``epoch`` as COPY's text for a timestamptz (UTC), from a cache of days and of the
    86,400 times of day: a dictionary look-up and an index instead of a datetime."""
    day, second = divmod(epoch, DAY)
    prefix = _DAY_PREFIXES.get(day)
    if prefix is None:
        prefix = _DAY_PREFIXES[day] = f"{_ts(day * DAY):%Y-%m-%d} "
    if not _CLOCK:
        _CLOCK.extend(f"{s // 3600:02d}:{s // 60 % 60:02d}:{s % 60:02d}+00" for s in range(DAY))
    return prefix + _CLOCK[second]


def _insert_customers(loaders: list[_PerformerLoader]) -> None:
    """One INSERT … SELECT: staged fields plus the recount of the events just loaded."""
    derived = derived_values(stored="s", recount="r")
    # The staged missed-call dismissal and "new" state are combined with the recount.
    staged = [f for f in _STAGED_FIELDS if f not in derived]
    with connection.cursor() as cursor:
        if sum(loader.events for loader in loaders) >= 100_000:
            # The recount of a big load is planned on the statistics of the table before
            # it: without fresh ones, nested loops that take minutes instead of seconds.
            cursor.execute(f"ANALYZE {ContactEvent._meta.db_table}")
        cursor.execute(
            f"""
            INSERT INTO {Customer._meta.db_table}
                ({", ".join(staged)}, {", ".join(derived)})
            SELECT {", ".join(f"s.{f}" for f in staged)}, {", ".join(derived.values())}
            FROM {_STAGE} s LEFT JOIN ({recount(of_performers=True)}) r ON r.customer_id = s.id
            ORDER BY s.id
            """,
            {"performers": [loader.pid for loader in loaders]},
        )


def _copy_extras(loaders: list[_PerformerLoader]) -> None:
    """Memberships, offers, feedback, notes, then the activity they and the plan make."""
    activities = {loader.pid: list(loader.activities()) for loader in loaders}
    for model, columns, rows in (
        (
            Membership,
            ("performer_id", "customer_list_id", "customer_id", "added_at"),
            lambda loader: loader.membership_rows(),
        ),
        (
            Offer,
            ("performer_id", "customer_id", "value", "message", "sent_at", "expires_at",
             "redeemed_at"),
            lambda loader: loader.offer_rows(activities[loader.pid]),
        ),
        (
            Feedback,
            ("performer_id", "customer_id", "rating", "comment", "created_at"),
            lambda loader: loader.feedback_rows(),
        ),
        (
            Note,
            ("performer_id", "customer_id", "body", "created_at", "updated_at"),
            lambda loader: loader.note_rows(activities[loader.pid]),
        ),
        (
            Activity,
            ("performer_id", "customer_id", "verb", "detail", "created_at"),
            lambda loader: (
                (loader.pid, c.id, verb, detail, _ts(at))
                for verb, detail, c, at in activities[loader.pid]
            ),
        ),
    ):  # fmt: skip
        _copy_rows(model, columns, itertools.chain.from_iterable(map(rows, loaders)))


def _ts(epoch: int) -> datetime:
    return datetime.fromtimestamp(epoch, UTC)


def _money(cents: int) -> Decimal:
    return Decimal(cents).scaleb(-2)


class _PerformerLoader:
    """Generates one performer's customers and everything hanging off them, phase by phase
    (``_load_all`` streams each phase of every performer at once)."""

    def __init__(self, performer: Performer, seed: int, anchor: int, progress):
        self.performer = performer
        self.pid = performer.pk
        self.rng = _rng(seed, performer.username)
        self.anchor = anchor
        self.progress = progress
        self.reference = itertools.count(1)
        self.events = 0
        self.customers: list[_Customer] = []
        self.lists: list[CustomerList] = []
        self.mail_rows: list[Mail] = []

    # -- planning --

    def plan(
        self, names: list[str], ids: list[int], member_ids: dict[str, int], events: int
    ) -> None:
        self.events = events
        self.customers = self._plan_customers(names, ids, member_ids, events)
        self.lists = self._plan_lists(len(self.customers))
        self._assign_lists()
        self.mail_rows = self._plan_mails()

    def _plan_customers(self, names, ids, member_ids, events) -> list[_Customer]:
        rng, anchor = self.rng, self.anchor
        customers = []
        for customer_id, name in zip(ids, names, strict=True):
            if rng.random() < 0.06:  # new: first contact within the last 30 days
                first = anchor - rng.randint(DAY // 2, 29 * DAY)
            else:
                first = anchor - rng.randint(30 * DAY, HISTORY_DAYS * DAY)
            # Most customers stay in touch; some drifted away long ago.
            quiet = int(rng.expovariate(1 / 45) * DAY) if rng.random() < 0.7 else None
            end = anchor - min(quiet, anchor - first) if quiet is not None else None
            if end is None:
                end = rng.between(first, anchor - 60)
            end = max(end, first + 60)  # room for the events between first and last
            customers.append(_Customer(customer_id, member_ids[name], name, first, end, 1))
        # Spread the other events: a few customers are whales (capped: a few hundred events,
        # not tens of thousands), most call now and then.
        weights = [
            min(rng.paretovariate(1.2), 60.0) * (0.2 + (c.end - c.first) / (HISTORY_DAYS * DAY))
            for c in customers
        ]
        # Counted in C (Counter), not by an attribute increment per draw.
        draws = rng.choices(range(len(customers)), weights=weights, k=events - len(names))
        for index, extra in collections.Counter(draws).items():
            customers[index].events += extra
        follow_ups = [s for s in FollowUpStatus.values if s]
        for customer in customers:
            customer.nickname = rng.choice(_NICKNAMES) if rng.random() < 0.08 else ""
            customer.follow_up = rng.choice(follow_ups) if rng.random() < 0.12 else ""
            roll = rng.random()
            if roll < 0.04:  # a recent missed call is their last contact
                customer.missed_call = True
                customer.end = max(customer.first + 60, anchor - rng.randint(3600, 5 * DAY))
                customer.dismissed = rng.random() < 0.2
            elif roll < 0.06:
                customer.status = CustomerStatus.BLOCKED
            elif roll < 0.075:
                customer.status = CustomerStatus.DELETED
            if customer.status != CustomerStatus.ACTIVE:
                customer.status_changed = rng.between(customer.end + 60, anchor - 60)
        return customers

    def _plan_lists(self, customers: int) -> list[CustomerList]:
        count = len(_LIST_NAMES) if customers >= 500 else min(len(_LIST_NAMES), 3)
        names = self.rng.sample(_LIST_NAMES, count)
        return [
            CustomerList(
                performer=self.performer,
                name=name,
                created_at=_ts(self.anchor - self.rng.randint(60 * DAY, HISTORY_DAYS * DAY)),
            )
            for name in names
        ]

    def _assign_lists(self) -> None:
        rng, lists = self.rng, self.lists
        for customer in self.customers:
            if customer.status == CustomerStatus.BLOCKED or rng.random() >= 0.35:
                continue
            how_many = 1 if rng.random() < 0.75 else rng.randint(2, min(3, len(lists)))
            customer.lists = sorted(rng.sample(range(len(lists)), how_many))

    def _plan_mails(self) -> list[Mail]:
        """A few mails to many recipients, sorted by time."""
        rng = self.rng
        sent = sorted({self.anchor - rng.randint(DAY, HISTORY_DAYS * DAY) for _ in range(12)})
        return [
            Mail(
                performer=self.performer,
                subject=f"{self._subject(_ts(at).month)} ({_ts(at):%b %d})",
                body=_MAIL_BODY,
                sent_at=_ts(at),
            )
            for at in sent
        ]

    def _subject(self, month: int) -> str:
        """A subject for a mail sent in ``month``: a seasonal one only in its season."""
        in_season = [subject for subject, months in SEASONAL_SUBJECTS.items() if month in months]
        if in_season and self.rng.random() < 0.5:
            return self.rng.choice(in_season)
        return self.rng.choice(_MAIL_SUBJECTS)

    # -- rows --

    def staged_rows(self) -> Iterator[tuple]:
        """Each customer's own fields (``_STAGED_FIELDS``)."""
        rng, lists = self.rng, self.lists
        for c in self.customers:
            names = sorted((lists[i].name for i in c.lists), key=lambda n: (n.lower(), n))
            cleared = (
                _ts(min(self.anchor, c.end + rng.randint(600, 6 * 3600))) if c.dismissed else None
            )
            yield (
                c.id,
                self.pid,
                c.member_id,
                c.member_name,
                c.nickname,
                c.status,
                _ts(c.status_changed) if c.status_changed else None,
                c.follow_up,
                rng.random() < 0.06,
                # Blocking or assigning to a list ends "new" (M6); mail: recounted.
                c.status == CustomerStatus.BLOCKED or bool(c.lists),
                ", ".join(names),
                cleared,
                _ts(c.first),
            )

    def write_events(
        self,
        write: Callable[[str], None],
        ids: Iterator[int],
        deliveries: list[str],
    ) -> None:
        """Write the events as lines of COPY's text format, each with its id from ``ids``;
        append to ``deliveries`` the line (performer, mail, customer, event) of each mail's
        recipients. The hottest loop of the seed (one pass per event): numbers come from
        ``random()`` scaled (a third of ``randint``'s cost) and cells are formatted here, not
        by the driver's adapters."""
        rng, random_, pid, stamp = self.rng, self.rng.random, self.pid, _copy_timestamp
        customers = self.customers
        mails = [(int(m.sent_at.timestamp()), m.subject, m.pk) for m in self.mail_rows]
        mail_times = [at for at, _, _ in mails]
        total = _TYPE_CUMULATIVE[-1]
        lines: list[str] = []
        for done, c in enumerate(customers, start=1):
            last = c.events - 1
            span = c.end - c.first
            mailed = set()  # the mails this customer got already: one event per mail
            mail_events = set()  # no two identical mail events (type, time, subject)
            for n in range(c.events):
                event_id = next(ids)
                if n == 0:
                    at = c.first
                elif n == last:
                    at = c.end
                else:  # strictly before the last contact: it decides the last type
                    at = c.first + int(random_() * span)
                if c.missed_call and n == last:
                    kind, amounts, quantities = ContactType.CALL_MISSED, None, None
                else:
                    kind, _, amounts, quantities = _TYPES[
                        bisect.bisect(_TYPE_CUMULATIVE, random_() * total)
                    ]
                    if c.missed_call and kind == ContactType.CALL_MISSED:
                        kind, amounts = ContactType.CALL_RECEIVED, (500, 15000)
                quantity = (
                    quantities[0] + int(random_() * (quantities[1] - quantities[0] + 1))
                    if quantities
                    else 1
                )
                summary = ""
                if kind == ContactType.MAIL_SENT and 0 < n < last and random_() < 0.6:
                    # Part of a mail to many customers, if it went out while in touch.
                    i = bisect.bisect_left(mail_times, c.first)
                    k = bisect.bisect_left(mail_times, c.end)
                    if unsent := [j for j in range(i, k) if j not in mailed]:
                        j = rng.choice(unsent)
                        mailed.add(j)
                        at, summary, mail_id = mails[j]
                        deliveries.append(f"{pid}\t{mail_id}\t{c.id}\t{event_id}\n")
                elif kind in _CALL_TYPES:
                    summary = _CALL_SUMMARIES[int(random_() * len(_CALL_SUMMARIES))]
                if kind in _MAIL_TYPES:
                    if (kind, at, summary) in mail_events:
                        # A customer whose contacts all fall within seconds: a call
                        # rather than the same mail twice in one second.
                        kind, amounts, quantity = ContactType.CALL_RECEIVED, (500, 15000), 1
                        summary = _CALL_SUMMARIES[int(random_() * len(_CALL_SUMMARIES))]
                    mail_events.add((kind, at, summary))
                if amounts:
                    cents = (amounts[0] + int(random_() * (amounts[1] - amounts[0] + 1))) * quantity
                    reference = f"DEMO-{next(self.reference):09d}"
                    amount = f"{cents // 100}.{cents % 100:02d}"
                else:
                    reference, amount = "\\N", "0"
                lines.append(
                    f"{event_id}\t{pid}\t{c.id}\t{kind}\t{stamp(at)}\t{amount}\t{quantity}\t"
                    f"{reference}\t{summary}\t{stamp(at + 5)}\n"
                )
            if done % 500 == 0:
                write("".join(lines))
                lines.clear()
                self.progress(sum(x.events for x in customers[done - 500 : done]))
        write("".join(lines))
        self.progress(sum(x.events for x in customers[len(customers) // 500 * 500 :]))

    def membership_rows(self) -> Iterator[tuple]:
        rng, lists = self.rng, self.lists
        for c in self.customers:
            for i in c.lists:
                yield (self.pid, lists[i].pk, c.id, _ts(rng.between(c.first, c.end)))

    def offer_rows(self, activities: list) -> Iterator[tuple]:
        rng = self.rng
        for c in self.customers:
            if rng.random() >= 0.12:
                continue
            for _ in range(rng.randint(1, 3)):
                sent = rng.between(c.first, c.end)
                expires = sent + 14 * DAY
                redeemed = sent + rng.randint(3600, 14 * DAY)
                if rng.random() >= 0.35 or redeemed > self.anchor:
                    redeemed = None
                activities.append((ActivityVerb.OFFER_SENT, "", c, sent))
                yield (
                    self.pid, c.id, rng.randint(1, 10) * 5,
                    "Just for you: a discount on your next reading.", _ts(sent), _ts(expires),
                    _ts(redeemed) if redeemed else None,
                )  # fmt: skip

    def feedback_rows(self) -> Iterator[tuple]:
        rng = self.rng
        for c in self.customers:
            if c.events < 2 or rng.random() >= 0.18:
                continue
            rating = rng.choices((5, 4, 3, 2, 1), weights=(50, 25, 12, 7, 6))[0]
            comment = rng.choice(_COMMENTS[rating])
            yield (self.pid, c.id, rating, comment, _ts(rng.between(c.first, c.end)))

    def note_rows(self, activities: list) -> Iterator[tuple]:
        rng = self.rng
        for c in self.customers:
            if rng.random() >= 0.10:
                continue
            for _ in range(1 if rng.random() < 0.8 else 2):
                at = rng.between(c.first, c.end)
                body = rng.choice(_NOTES)
                activities.append((ActivityVerb.NOTE_ADDED, body[:60], c, at))
                yield (self.pid, c.id, body, _ts(at), _ts(at))

    def activities(self) -> Iterator[tuple[str, str, _Customer, int]]:
        rng, lists = self.rng, self.lists
        for c in self.customers:
            if c.lists:
                names = ", ".join(sorted((lists[i].name for i in c.lists), key=str.lower))
                yield ActivityVerb.LISTS_CHANGED, f"Lists set to: {names}", c, c.first + 3600
            if c.status == CustomerStatus.BLOCKED:
                yield ActivityVerb.BLOCKED, "", c, c.status_changed
            elif c.status == CustomerStatus.DELETED:
                yield ActivityVerb.DELETED, "", c, c.status_changed
            if c.dismissed:
                yield ActivityVerb.MISSED_CALL_DISMISSED, "", c, min(self.anchor, c.end + 600)
            if c.nickname:
                yield (
                    ActivityVerb.NICKNAME_CHANGED,
                    f"Nickname set to “{c.nickname}”",
                    c,
                    rng.between(c.first, c.end),
                )
            if c.follow_up:
                label = FollowUpStatus(c.follow_up).label
                yield ActivityVerb.FOLLOW_UP_CHANGED, f"Follow-up: {label}", c, c.end


_CALL_SUMMARIES = [f"{minutes} min" for minutes in range(3, 46)]
_MAIL_TYPES = frozenset(t for t in ContactType if t.value.startswith("mail_"))
_CALL_TYPES = frozenset(
    {
        ContactType.CALL_RECEIVED,
        ContactType.CALL_FEATURED_RECEIVED,
        ContactType.CALLBACK_RECEIVED,
        ContactType.RECORDED_CALL,
    }
)


def demo_login_line(username: str, password: str) -> str:
    # MYCUSTOMERS_URL: where `make run` serves (its HOST and PORT).
    url = os.environ.get("MYCUSTOMERS_URL", "http://127.0.0.1:8000/")
    return f"Demo login: {username} / {password}  →  {url}"


DEMO_ADMIN = "admin"


def ensure_demo_admin(password: str) -> Performer:
    """The Django admin's demo account (staff, superuser), made once; development only."""
    admin, created = Performer.objects.get_or_create(
        username=DEMO_ADMIN, defaults={"is_staff": True, "is_superuser": True}
    )
    if created:
        admin.set_password(password)
        admin.save(update_fields=["password"])
    return admin


def admin_login_line(password: str) -> str:
    url = os.environ.get("MYCUSTOMERS_URL", "http://127.0.0.1:8000/")
    return f"Demo admin: {DEMO_ADMIN} / {password}  →  {url}admin/"
