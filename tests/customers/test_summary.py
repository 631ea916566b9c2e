"""The summary strip of the main view: new customers, missed calls to return, this month's
earnings and overdue customers, each linking to the view that lists them."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from contacts.types import ContactType
from lists.models import CustomerList
from lists.services import set_customer_lists
from mycustomers.models import Customer, CustomerStatus
from mycustomers.summary import figures
from tests.customers.main_view_helpers import customer, get, names
from tests.factories import add_event, make_customer

pytestmark = pytest.mark.django_db


def this_month_ago():
    """A time ago that is surely within this calendar month (in the current time zone)."""
    now = timezone.localtime()
    return (now - now.replace(day=1, hour=0, minute=0, second=0, microsecond=0)) / 2


@pytest.fixture
def book(owner, colleague):
    today = timezone.localdate()
    recent = this_month_ago()
    vip = CustomerList.objects.create(performer=owner, name="VIP")
    people = {
        "nina": add_event(owner, "nina", ago=timedelta(days=2)),  # new
        "nora": add_event(owner, "nora", ago=timedelta(days=3)),  # new, then put in a list
        "mia": add_event(owner, "mia", ContactType.CALL_MISSED, ago=timedelta(days=60)),
        "paid": make_customer(owner, "paid", ago=timedelta(days=70)),
        "late": customer(owner, "late", overdue_from=today - timedelta(days=4)),
        "soon": customer(owner, "soon", overdue_from=today + timedelta(days=4)),
        "gone": add_event(owner, "gone", ContactType.CALL_MISSED, ago=timedelta(days=1)),
    }
    set_customer_lists(
        performer=owner, customers=Customer.objects.filter(member_name="nora"), lists=[vip]
    )
    # Paid twice this month and once long ago (only this month's count).
    add_event(owner, "paid", ContactType.GOODY_BAG, ago=recent, amount="12.50")
    add_event(owner, "paid", ContactType.GOODY_BAG, ago=recent, amount="1000.00")
    add_event(owner, "nina", ContactType.GOODY_BAG, ago=timedelta(days=2), amount="0.25")
    # A blocked customer is in none of the figures, nor is the colleague's customer.
    Customer.objects.filter(member_name="gone").update(
        status=CustomerStatus.BLOCKED, overdue_from=today
    )
    add_event(colleague, "nina", ContactType.CALL_MISSED, ago=recent, amount="99.00")
    return people


def month_number() -> int:
    return timezone.localdate().month


def strip(response) -> dict[str, tuple[str, str]]:
    return {item.label: (item.figure, item.url) for item in response.context["summary"]}


def test_the_strip_counts_what_needs_the_performer_today(owner_client, book):
    response = get(owner_client)
    month = timezone.localdate().strftime("%B")
    shown = {label: figure for label, (figure, _url) in strip(response).items()}
    nina_paid = timezone.localtime() - timedelta(days=2)
    earned = Decimal("1012.50") + (Decimal("0.25") if nina_paid.month == month_number() else 0)

    assert shown == {
        "New customers": "1",  # nina; nora is in a list, gone is blocked
        "Missed calls to return": "1",  # mia
        f"Earned in {month}": f"${earned:,.2f}",
        "Overdue now": "1",  # late
    }
    content = response.content.decode()
    assert 'aria-label="Today at a glance"' in content
    assert f'${earned:,.2f}</span> <span class="summary-label">Earned in {month}' in content


def test_each_figure_links_to_the_view_that_lists_it(owner_client, book):
    links = {label: url for label, (_figure, url) in strip(get(owner_client)).items()}
    month_start = timezone.localdate().replace(day=1)

    def rows(label):
        url = urlsplit(links[label])
        assert url.path == "/customers/"
        return names(owner_client.get(links[label]))

    assert rows("New customers") == ["nina"]
    assert links["New customers"].endswith("?list=new")
    assert rows("Missed calls to return") == ["mia"]
    assert links["Missed calls to return"].endswith("?missed=1")
    assert rows("Overdue now") == ["late"]
    assert links["Overdue now"].endswith("?overdue=1")
    earned = next(label for label in links if label.startswith("Earned in"))
    assert links[earned].endswith(f"?contact_after={month_start.isoformat()}&sort=-earnings")
    assert rows(earned)[0] == "paid"  # the biggest earner of those contacted this month


def test_the_figures_follow_new_data_at_once(owner, owner_client, book):
    assert strip(get(owner_client))["Missed calls to return"][0] == "1"
    add_event(owner, "nina", ContactType.CALL_MISSED, ago=timedelta(minutes=5))
    assert strip(get(owner_client))["Missed calls to return"][0] == "2"


def test_a_repeated_view_reads_the_figures_from_the_cache(
    owner_client, book, django_assert_num_queries
):
    get(owner_client)
    with django_assert_num_queries(3):  # session, user, rows (the empty banner is cached)
        get(owner_client)


def test_a_cached_new_figure_follows_the_clock(owner, book, django_assert_num_queries):
    owner.refresh_from_db()  # the data version a request would read
    today, now = timezone.localdate(), timezone.now()
    assert figures(owner, today, now)["new"] == 1
    with django_assert_num_queries(0):
        assert figures(owner, today, now + timedelta(days=27))["new"] == 1
    with django_assert_num_queries(1):  # nina's 30 days are over: counted again
        assert figures(owner, today, now + timedelta(days=29))["new"] == 0


def test_this_month_is_the_performers_calendar_month(owner):
    """10:00 on the 1st in Kiritimati (UTC+14) is still the last day of the month in UTC."""
    utc = ZoneInfo("UTC")
    last_month = timezone.now().astimezone(utc).replace(day=1) - timedelta(days=40)
    first = last_month.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    paid_at = first - timedelta(hours=4)  # 20:00 UTC on the last day of the month before
    add_event(owner, "early", ContactType.GOODY_BAG, ago=timezone.now() - paid_at, amount="5")
    owner.refresh_from_db()
    day = first.date() + timedelta(days=5)
    with timezone.override(ZoneInfo("Pacific/Kiritimati")):
        assert figures(owner, day, timezone.now())["earnings"] == Decimal("5.00")
    with timezone.override(ZoneInfo("UTC")):
        assert figures(owner, day, timezone.now())["earnings"] == Decimal("0")


def test_the_page_reads_the_performers_time_zone(owner, owner_client, book):
    owner.time_zone = "Pacific/Kiritimati"
    owner.save(update_fields=["time_zone"])
    month = timezone.localdate(timezone=ZoneInfo("Pacific/Kiritimati")).strftime("%B")
    assert any(label == f"Earned in {month}" for label in strip(get(owner_client)))
