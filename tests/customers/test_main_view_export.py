"""CSV export of the current view (M14): every matching row, in the view's order."""

from __future__ import annotations

import csv
import io
from datetime import timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.http import StreamingHttpResponse
from django.urls import reverse
from django.utils import timezone

from contacts.types import ContactType
from lists.models import CustomerList
from lists.services import set_customer_lists
from mycustomers.models import Customer, CustomerStatus
from tests.customers.main_view_helpers import customer, days_ago, get, names
from tests.factories import add_event, make_customer

pytestmark = pytest.mark.django_db

EXPORT_URL = reverse("customers:export")


def export(client, **params) -> list[dict]:
    response = client.get(EXPORT_URL, params)
    assert response.status_code == 200
    assert isinstance(response, StreamingHttpResponse)
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.DictReader(io.StringIO(text)))


def all_pages(client, **params) -> list[str]:
    shown, page = [], 1
    while True:
        response = get(client, page=page, **params)
        shown += names(response)
        if page >= response.context["table"].paginator.num_pages:
            return shown
        page += 1


@pytest.fixture
def book(owner):
    for n in range(53):
        customer(owner, f"c{n:02d}", live_calls=n % 4, last_contact=days_ago(n + 1))
    customer(owner, "blocked", status=CustomerStatus.BLOCKED)


@pytest.mark.parametrize(
    "params",
    [{}, {"sort": "live_calls"}, {"sort": "-customer", "letter": "c"}, {"q": "c1"}],
)
def test_the_export_holds_every_row_of_the_view_in_its_order(owner_client, book, params):
    rows = export(owner_client, **params)
    assert [row["Member name"] for row in rows] == all_pages(owner_client, **params)


def test_the_export_of_a_list_holds_its_members(owner, owner_client, book):
    vip = CustomerList.objects.create(performer=owner, name="VIP")
    set_customer_lists(
        performer=owner,
        customers=Customer.objects.filter(member_name__in=["c00", "c01", "c02", "c03", "c04"]),
        lists=[vip],
    )
    rows = export(owner_client, list=vip.pk, sort="customer")
    assert [row["Member name"] for row in rows] == ["c00", "c01", "c02", "c03", "c04"]
    assert {row["Customer lists"] for row in rows} == {"VIP"}


def test_the_export_has_the_tables_columns(owner, owner_client):
    alice = add_event(owner, "alice", ContactType.CALL_MISSED, ago=timedelta(days=2), amount="12.5")
    Customer.objects.filter(pk=alice.pk).update(nickname="Al", follow_up="spoke", feeds=3)

    (row,) = export(owner_client)

    assert row["Member name"] == "alice"
    assert row["Nickname"] == "Al"
    assert row["New"] == "yes"
    assert row["Missed call"] == "yes"
    assert row["Follow-up"] == "Spoke"
    assert row["Feeds"] == "3"
    assert row["Lifetime earnings"] == "12.50"
    assert row["Last contact"].endswith("+00:00")
    assert row["Contact type"] == "Missed Call"
    assert row["Customer lists"] == "New Customers"


def test_cells_that_a_spreadsheet_would_run_as_formulas_are_escaped(owner, owner_client):
    customer(owner, "alice", nickname='=HYPERLINK("http://evil")')
    customer(owner, "bob", nickname="+1")
    customer(owner, "carol", nickname="@SUM(A1)")
    customer(owner, "dave", nickname="-2")
    lst = CustomerList.objects.create(performer=owner, name="=cmd|' /C calc'!A0")
    set_customer_lists(
        performer=owner, customers=Customer.objects.filter(member_name="alice"), lists=[lst]
    )

    rows = {row["Member name"]: row for row in export(owner_client)}

    assert rows["alice"]["Nickname"] == '\'=HYPERLINK("http://evil")'
    assert rows["bob"]["Nickname"] == "'+1"
    assert rows["carol"]["Nickname"] == "'@SUM(A1)"
    assert rows["dave"]["Nickname"] == "'-2"
    assert rows["alice"]["Customer lists"] == "'=cmd|' /C calc'!A0"


def test_it_is_a_csv_download(owner_client, book):
    response = owner_client.get(EXPORT_URL)
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="my-customers-')


def test_it_never_exports_another_performers_customers(owner, colleague, owner_client):
    make_customer(owner, "mine")
    make_customer(colleague, "theirs")
    theirs = CustomerList.objects.create(performer=colleague, name="Theirs")

    assert [row["Member name"] for row in export(owner_client)] == ["mine"]
    assert [row["Member name"] for row in export(owner_client, q="theirs")] == []
    response = owner_client.get(EXPORT_URL, {"list": theirs.pk})
    assert response.status_code == 302  # back to the view, which says what is wrong
    assert b"theirs" not in response.content


def test_an_empty_view_exports_just_the_header(owner_client):
    assert export(owner_client) == []


def test_the_page_links_to_the_export_of_the_same_view(owner_client, book):
    response = get(owner_client, q="c1", sort="customer", page=2, per_page=10)
    assert response.context["export_url"] == f"{EXPORT_URL}?q=c1&sort=customer"


def test_the_export_runs_a_constant_number_of_queries(
    owner_client, book, django_assert_max_num_queries
):
    with django_assert_max_num_queries(6):
        rows = export(owner_client)
    assert len(rows) == 53


def test_the_export_follows_the_performers_time_zone(owner, owner_client):
    """The rows stream after the view returned, when the performer's zone is no longer the
    active one: the export's times and "today" must still be theirs, as on the page."""
    now = timezone.now()
    # A zone whose calendar day is not UTC's right now: UTC+14 from 10:00 UTC, else UTC-12.
    zone_name = "Pacific/Kiritimati" if now.hour >= 10 else "Etc/GMT+12"
    zone = ZoneInfo(zone_name)
    owner.time_zone = zone_name
    owner.save(update_fields=["time_zone"])
    today = timezone.localdate(now, zone)
    assert today != now.date()
    customer(
        owner,
        "late",
        last_contact=now,
        last_paid_day=today - timedelta(days=10),
        usual_gap=Decimal("10"),
        due_date=today,
    )

    [row] = export(owner_client)

    assert row["Last contact"] == timezone.localtime(now, zone).isoformat(timespec="seconds")
    assert row["Overdue factor"] == "1.0"  # 10 of the zone's days; 9 or 11 of UTC's
