"""The CSV export, byte for byte: every column of every row as the model says it, in the
view's order, for every sort and filter (issue 21: the export is built by PostgreSQL and must
read exactly as the one built from model instances did).

``reference_csv`` is the export as it was written in Python (csv.writer over model instances),
kept here as the oracle: the rows and their order come from the table's own pages."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from unittest import mock

import pytest
from django.urls import reverse
from django.utils import timezone

from contacts.types import ContactType
from lists.models import CustomerList
from lists.services import set_customer_lists
from mycustomers import export
from mycustomers.export import CSV_HEADER, csv_order
from mycustomers.models import SORT_EXPRESSIONS, Customer, CustomerStatus
from mycustomers.tables import CONTACT_TYPE_LABELS, FOLLOW_UP_LABELS
from tests.customers.main_view_helpers import customer, days_ago, get, names

pytestmark = pytest.mark.django_db

EXPORT_URL = reverse("customers:export")
SORTS = list(SORT_EXPRESSIONS)
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def escaped(value: str) -> str:
    return f"'{value}" if value.startswith(FORMULA_STARTS) else value


def reference_row(c: Customer, today: date) -> list:
    factor = c.overdue_factor(today)
    return [
        escaped(c.member_name),
        escaped(c.nickname),
        "yes" if c.is_new else "",
        "yes" if c.has_missed_call else "",
        FOLLOW_UP_LABELS[c.follow_up] if c.follow_up else "",
        c.live_calls,
        c.recorded_calls,
        c.mail_sent,
        c.mail_received,
        c.goody_bags,
        c.chat_volleys,
        c.feeds,
        f"{c.earnings:.2f}",
        timezone.localtime(c.last_contact).isoformat(timespec="seconds") if c.last_contact else "",
        CONTACT_TYPE_LABELS.get(c.last_contact_type, ""),
        escaped(c.list_label),
        "" if c.usual_gap is None else str(c.usual_gap),
        c.due_date.isoformat() if c.due_date else "",
        "" if factor is None else str(factor),
        c.segment,
        c.trend,
    ]


def reference_csv(performer, member_names: list[str], columns: list[str]) -> bytes:
    order = csv_order(columns)
    by_name = {c.member_name: c for c in Customer.objects.filter(performer=performer)}
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([CSV_HEADER[i] for i in order])
    with timezone.override(performer.zone):
        today = timezone.localdate()
        for name in member_names:
            row = reference_row(by_name[name], today)
            writer.writerow([row[i] for i in order])
    return ("\ufeff" + buffer.getvalue()).encode()


def all_pages(client, params) -> list[str]:
    shown, page = [], 1
    while True:
        response = get(client, page=page, per_page=50, **params)
        assert response.status_code == 200
        shown += names(response)
        if page >= response.context["table"].paginator.num_pages:
            return shown
        page += 1


def exported(client, params) -> bytes:
    response = client.get(EXPORT_URL, params)
    assert response.status_code == 200
    assert response.streaming
    assert "no-store" in response["Cache-Control"]
    return b"".join(response.streaming_content)


NAMES = [
    "=cmd|' /C calc'!A0",
    "+1",
    "-2",
    "@x",
    "\ttab",
    "\rreturn",
    'say "hi"',
    "comma, inside",
    "two\nlines",
    "crlf\r\nin name",
    "Zoë 日本 🎉",
    "plain",
    "  spaces  ",
    "back\\slash",
    "\\.",
    "''quoted",
    "Émile",
    "zeta",
    "0digit",
    "9lives",
]


@pytest.fixture
def book(owner):
    """Customers that exercise every column: formula-looking and quoted text, unicode, None
    values, money, times across the year (offset changes), lists, rhythm and segments."""
    lists = [
        CustomerList.objects.create(performer=owner, name=name)
        for name in ("VIP", "=SUM(A1)", 'Quote " list', "Ünïcode")
    ]
    types = list(ContactType.values)
    follow_ups = ["", *[code for code in FOLLOW_UP_LABELS if code]]
    segments = ["", "Champions", "At risk", "Can't lose", "Lost"]
    trends = ["", "up", "steady", "down", "new"]
    for n, name in enumerate(NAMES):
        base = datetime(2026, 1 + n % 12, 1 + n, 13, 7, 9, 654321, tzinfo=UTC)
        recent = n % 5 == 0
        fields = {
            "member_name": name,
            "nickname": ["", '=HYPERLINK("x")', "Al", "-", "new\nline", "a,b"][n % 6],
            "follow_up": follow_ups[n % len(follow_ups)],
            "live_calls": n % 4,
            "recorded_calls": (n * 7) % 5,
            "mail_sent": n % 3,
            "mail_received": (n * 3) % 4,
            "goody_bags": n % 2,
            "chat_volleys": n * 11,
            "feeds": (n * 5) % 6,
            "earnings": Decimal(n * 1234) / 100 + (Decimal("1000000") if n == 7 else 0),
            "first_contact": days_ago(3) if recent else base - timedelta(days=400),
            "last_contact": days_ago(1) if recent else (None if n % 7 == 3 else base),
            "last_contact_type": "" if n % 7 == 3 else types[n % len(types)],
            "new_cleared": n % 10 == 5,
            "last_missed_call_at": base if n % 4 == 1 else None,
            "missed_call_cleared_at": base - timedelta(days=1) if n % 8 == 1 else None,
            "usual_gap": None if n % 3 == 0 else Decimal(n % 9 + 1) + Decimal("0.5"),
            "last_paid_day": None if n % 3 == 0 else date(2026, 11, 1) - timedelta(days=n * 9),
            "due_date": None if n % 3 == 0 else date(2026, 12, 1) + timedelta(days=n),
            "overdue_from": None if n % 3 == 0 else date(2026, 11, 1) + timedelta(days=n - 10),
            "segment": segments[n % len(segments)],
            "trend": trends[n % len(trends)],
            "status": CustomerStatus.BLOCKED if n % 9 == 4 else CustomerStatus.ACTIVE,
            "affiliate_referral": n % 6 == 2,
        }
        created = customer(owner, f"member-{n}", **fields)
        chosen = [lst for i, lst in enumerate(lists) if (n >> i) & 1 and n % 5]
        if chosen:
            set_customer_lists(
                performer=owner, customers=Customer.objects.filter(pk=created.pk), lists=chosen
            )
    # A time from before time zones were standard: offsets with seconds (local mean time).
    Customer.objects.filter(performer=owner, member_name="plain").update(
        last_contact=datetime(1880, 6, 1, 12, 0, tzinfo=UTC)
    )
    return {lst.name: lst for lst in lists}


# "@name": the id of the book's list of that name.
FILTERS = {
    "none": {},
    "search": {"q": "e"},
    "search 1 char": {"q": "z"},
    "letter": {"letter": "Z"},
    "letter #": {"letter": "#"},
    "list": {"list": "@VIP"},
    "list and letter": {"list": "@=SUM(A1)", "letter": "S"},
    "list new": {"list": "new"},
    "list unassigned": {"list": "unassigned"},
    "list blocked": {"list": "blocked"},
    "list affiliate": {"list": "affiliate"},
    "not in list": {"not_list": ["@VIP"]},
    "earnings": {"earnings_min": "20", "earnings_max": "200"},
    "counter": {"chat_volleys_min": "30", "live_calls_max": "2"},
    "quiet": {"quiet_min": "30"},
    "contact range": {"contact_after": "2026-03-01", "contact_before": "2026-09-30"},
    "since": {"since_before": "2026-01-01"},
    "type": {"type": ["chat", "call_received"]},
    "follow-up": {"follow_up": "none"},
    "missed": {"missed": "1"},
    "new": {"new": "1"},
    "overdue": {"overdue": "1"},
    "segment": {"segment": ["Champions", "Lost"]},
}


def resolved(params: dict, book) -> dict:
    def one(value):
        if isinstance(value, list):
            return [one(v) for v in value]
        return book[value[1:]].pk if value.startswith("@") else value

    return {key: one(value) for key, value in params.items()}


def assert_same_bytes(owner, client, params) -> None:
    assert exported(client, params) == reference_csv(
        owner, all_pages(client, params), owner.columns
    )


@pytest.mark.parametrize("sort", [s for key in SORTS for s in (key, f"-{key}")])
def test_every_sort_exports_the_same_bytes(owner, owner_client, book, sort):
    owner.time_zone = "America/St_Johns"  # -03:30, and -02:30 in summer
    owner.save(update_fields=["time_zone"])
    assert_same_bytes(owner, owner_client, {"sort": sort})


@pytest.mark.parametrize(
    "zone", ["", "UTC", "Asia/Kolkata", "America/New_York", "Pacific/Kiritimati"]
)
def test_times_are_in_the_performers_time_zone(owner, owner_client, book, zone):
    owner.time_zone = zone
    owner.save(update_fields=["time_zone"])
    assert_same_bytes(owner, owner_client, {"sort": "-last_contact"})


@pytest.mark.parametrize("name", list(FILTERS))
@pytest.mark.parametrize("sort", ["customer", "-due"])
def test_every_filter_exports_the_same_bytes(owner, owner_client, book, name, sort):
    owner.time_zone = "Asia/Kolkata"
    owner.save(update_fields=["time_zone"])
    assert_same_bytes(owner, owner_client, {**resolved(FILTERS[name], book), "sort": sort})


def test_the_export_follows_the_performers_column_order(owner, owner_client, book):
    owner.columns = ["earnings", "lists", "customer", "due"]
    owner.save(update_fields=["columns"])
    body = exported(owner_client, {"sort": "-last_contact"})
    assert body.decode("utf-8-sig").startswith(
        "Lifetime earnings,Customer lists,Member name,Nickname,New,Missed call,Follow-up,"
        "Usual gap (days),Due date,Overdue factor,Segment,Trend,Live calls,"
    )
    assert_same_bytes(owner, owner_client, {"sort": "-last_contact"})


def test_text_is_quoted_and_escaped_as_a_spreadsheet_needs(owner, owner_client, book):
    """A few rows spelled out, so that the oracle above cannot drift with the code."""
    body = exported(owner_client, {"sort": "customer"}).decode("utf-8-sig")
    assert "\r\n'=cmd|' /C calc'!A0," in body
    assert '\r\n\'+1,"\'=HYPERLINK(""x"")",' in body
    assert "\r\n'-2,Al," in body
    assert "\r\n'@x," in body
    assert "\r\n'\ttab," in body
    assert '\r\n"\'\rreturn",' in body
    assert '\r\n"say ""hi""",' in body
    assert '\r\n"two\nlines",' in body
    assert '\r\n"crlf\r\nin name",' in body
    assert "\r\nZoë 日本 🎉," in body
    assert "\r\n\\.," in body
    assert body.endswith("\r\n")


@pytest.mark.django_db(transaction=True)  # autocommit, as a request runs
def test_a_download_stopped_halfway_leaves_the_connection_usable(owner, owner_client, book):
    with mock.patch.object(export, "ROWS_PER_CHUNK", 2):
        response = owner_client.get(EXPORT_URL, {"sort": "customer"})
        chunks = iter(response.streaming_content)
        next(chunks), next(chunks)  # the header, then two rows: the COPY is under way
        response.close()  # the client went away (the server closes the response)
    assert Customer.objects.filter(performer=owner).count() == len(NAMES)
