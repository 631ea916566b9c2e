"""My Customers main view (SPEC §3): rows, columns, sorting, pagination, query count."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from contacts.types import ContactType
from lists.models import CustomerList
from lists.services import set_customer_lists
from mycustomers.models import Customer, CustomerStatus, FollowUpStatus
from mycustomers.views.main import SORT_KEYS
from tests.customers.main_view_helpers import LIST_URL, customer, days_ago, get, names
from tests.factories import add_event, make_customer

pytestmark = pytest.mark.django_db


def test_it_sends_anonymous_visitors_to_the_login_page(client):
    response = client.get(LIST_URL)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_it_shows_the_most_recently_contacted_customers_first(owner, owner_client):
    customer(owner, "older", last_contact=days_ago(9))
    customer(owner, "newest", last_contact=days_ago(1))
    customer(owner, "middle", last_contact=days_ago(5))

    response = owner_client.get(LIST_URL)

    assert response.status_code == 200
    assert names(response) == ["newest", "middle", "older"]
    assert b'aria-sort="descending"' in response.content


def test_it_hides_blocked_and_deleted_customers(owner, owner_client):
    customer(owner, "visible")
    customer(owner, "blocked", status=CustomerStatus.BLOCKED)
    customer(owner, "deleted", status=CustomerStatus.DELETED)

    assert names(owner_client.get(LIST_URL)) == ["visible"]


def test_it_never_shows_another_performers_customers(owner, colleague, owner_client):
    make_customer(owner, "mine")
    make_customer(colleague, "theirs")
    make_customer(colleague, "mine")  # the same member, the colleague's own relationship

    response = owner_client.get(LIST_URL)

    assert names(response) == ["mine"]
    assert [row.record.performer_id for row in response.context["table"].page.object_list] == [
        owner.pk
    ]
    assert b"theirs" not in response.content


def test_it_says_so_when_there_are_no_customers_yet(owner_client):
    response = owner_client.get(LIST_URL)
    assert response.status_code == 200
    assert b"No customers yet" in response.content


# Columns and cells (M3, M6, M7, D8)


def test_it_shows_every_column_in_order_with_accessible_header_text(owner, owner_client):
    make_customer(owner, "alice")
    content = owner_client.get(LIST_URL).content.decode()

    headers = [
        "Customer",
        "Live calls",
        "Recorded calls",
        "Mail sent",
        "Mail received",
        "Goody bags",
        "Chat volleys",
        "Feeds",
        "Lifetime earnings",
        "Last contact",
        "Contact type",
        "Customer lists",
    ]
    head = content[content.index("<thead>") : content.index("</thead>")]
    positions = [head.index(f">{header}<") for header in headers]
    assert positions == sorted(positions)
    # Icon headers: the icon is hidden from screen readers, the text is read out.
    assert '<span class="visually-hidden">Live calls</span>' in content
    assert 'aria-hidden="true"' in content


def test_it_shows_a_customers_counters_earnings_contact_and_lists(owner, owner_client):
    vip = CustomerList.objects.create(performer=owner, name="VIP")
    alice = customer(
        owner,
        "alice",
        nickname="Al",
        live_calls=1234,
        recorded_calls=2,
        mail_sent=3,
        mail_received=4,
        goody_bags=5,
        chat_volleys=6,
        feeds=7,
        earnings=Decimal("1234.5"),
        last_contact=timezone.make_aware(timezone.datetime(2025, 3, 7, 12)),
        last_contact_type=ContactType.MAIL_TIP_RECEIVED,
        follow_up=FollowUpStatus.LEFT_MESSAGE,
    )
    set_customer_lists(performer=owner, customers=Customer.objects.filter(pk=alice.pk), lists=[vip])

    content = owner_client.get(LIST_URL).content.decode()

    assert f'<a class="member" href="/customers/{alice.pk}/">alice</a>' in content
    assert '<span class="nickname">Al</span>' in content
    assert '<span class="follow-up">Left a message</span>' in content
    cells = [f'<td class="num">{n}</td>' for n in ("1,234", "2", "3", "4", "5", "6", "7")]
    assert "".join(cells) in content
    assert '<td class="num money">$1,234.50</td>' in content
    assert '<time datetime="2025-03-07">Mar 7, 2025</time>' in content
    assert '<td class="type">Mail Tip Received</td>' in content
    assert '<td class="lists">VIP</td>' in content
    assert (
        f'<input type="checkbox" name="ids" value="{alice.pk}" data-earnings="1234.50" '
        'aria-label="Select alice">' in content
    )


def test_the_lists_column_says_new_customers_or_unassigned_for_customers_in_no_list(
    owner, owner_client
):
    add_event(owner, "fresh", ago=timedelta(days=2))
    make_customer(owner, "settled")  # first contact 90 days ago

    content = owner_client.get(LIST_URL).content.decode()

    assert '<td class="lists">New Customers</td>' in content
    assert '<td class="lists">Unassigned</td>' in content


def test_a_customer_first_contacted_within_30_days_shows_the_new_badge(owner, owner_client):
    add_event(owner, "fresh", ago=timedelta(days=29))
    make_customer(owner, "old", ago=timedelta(days=31))

    content = owner_client.get(LIST_URL).content.decode()

    assert content.count('<span class="badge-new">new</span>') == 1
    fresh_cell = content[content.index(">fresh<") :]
    assert fresh_cell[: fresh_cell.index("</div>")].count("badge-new") == 1


@pytest.mark.parametrize(
    "mail", [ContactType.MAIL_SENT, ContactType.MAIL_SENT_SOLD, ContactType.MAIL_TIP_SENT]
)
def test_mailing_a_new_customer_ends_the_badge(owner, owner_client, mail):
    add_event(owner, "fresh", ago=timedelta(days=3))
    add_event(owner, "fresh", mail, ago=timedelta(days=1))

    assert b"badge-new" not in owner_client.get(LIST_URL).content


def test_assigning_a_new_customer_to_a_list_ends_the_badge(owner, owner_client):
    fresh = add_event(owner, "fresh", ago=timedelta(days=3))
    vip = CustomerList.objects.create(performer=owner, name="VIP")
    set_customer_lists(performer=owner, customers=Customer.objects.filter(pk=fresh.pk), lists=[vip])

    assert b"badge-new" not in owner_client.get(LIST_URL).content


def test_a_missed_call_shows_the_red_flag_as_a_dismiss_button(owner, owner_client):
    flagged = add_event(owner, "caller", ContactType.CALL_MISSED, ago=timedelta(hours=2))

    content = owner_client.get(LIST_URL).content.decode()

    assert f'formaction="/customers/{flagged.pk}/dismiss-flag/"' in content
    assert 'form="flag-form"' in content
    assert "Dismiss the missed-call flag of caller" in content


def test_a_later_call_clears_the_missed_call_flag(owner, owner_client):
    add_event(owner, "caller", ContactType.CALL_MISSED, ago=timedelta(hours=2))
    add_event(owner, "caller", ContactType.CALL_RECEIVED, ago=timedelta(hours=1))

    assert b"missed-call" not in owner_client.get(LIST_URL).content


def test_a_call_received_before_the_missed_call_keeps_the_flag(owner, owner_client):
    add_event(owner, "caller", ContactType.CALL_MISSED, ago=timedelta(hours=1))
    add_event(owner, "caller", ContactType.CALL_RECEIVED, ago=timedelta(hours=2))

    assert b"Dismiss the missed-call flag of caller" in owner_client.get(LIST_URL).content


def test_customers_with_no_contact_yet_show_never(owner, owner_client):
    customer(owner, "quiet", last_contact=None, first_contact=None, last_contact_type="")
    assert b'<span class="muted">Never</span>' in owner_client.get(LIST_URL).content


# Sorting (M2, M4)

# One row per customer: the sort keys' values. Every column has ties, broken by name.
SORT_ROWS = {
    "7even": dict(live_calls=2, earnings="5.00", last_contact=days_ago(3), list_names=""),
    "alice": dict(live_calls=0, earnings="50.00", last_contact=days_ago(10), list_names="vip"),
    "Bob": dict(live_calls=2, earnings="5.00", last_contact=None, list_names="Regulars"),
    "carol": dict(live_calls=9, earnings="0.10", last_contact=days_ago(1), list_names="VIP"),
    "dave": dict(live_calls=0, earnings="50.00", last_contact=days_ago(10), list_names="b, VIP"),
    "Erin": dict(live_calls=1, earnings="7.00", last_contact=None, list_names=""),
}
# Due dates, with ties and customers without one (no usual gap: last when ascending).
SORT_DUE = {"7even": 5, "alice": None, "Bob": 2, "carol": 5, "dave": None, "Erin": -3}
SORT_TYPES = {
    "7even": ContactType.CALL_MISSED,  # label "Missed Call": sorts among the M's
    "alice": ContactType.RECORDED_CALL,  # label "Call Recorded Received"
    "Bob": "",
    "carol": ContactType.CHAT,
    "dave": ContactType.RECORDED_CALL,
    "Erin": "",
}
COUNTERS = ("recorded_calls", "mail_sent", "mail_received", "goody_bags", "chat_volleys", "feeds")


@pytest.fixture
def sort_rows(owner):
    for index, (name, fields) in enumerate(SORT_ROWS.items()):
        counters = {field: (index * 7 + offset) % 3 for offset, field in enumerate(COUNTERS)}
        customer(
            owner,
            name,
            **fields,
            **counters,
            first_contact=fields["last_contact"],
            last_contact_type=SORT_TYPES[name],
            due_date=None if SORT_DUE[name] is None else date.today() + timedelta(SORT_DUE[name]),
        )
    return Customer.objects.for_performer(owner)


def expected_order(customers, key: str) -> list[str]:
    """The ascending order, computed in Python: value, then member name (code points)."""
    labels = sorted(ContactType.labels, key=str.casefold)

    def value(c: Customer):
        if key == "customer":
            return c.member_name.upper()
        if key == "last_contact":  # no contact yet counts as the oldest
            return (c.last_contact is not None, c.last_contact)
        if key == "contact_type":
            return labels.index(c.get_last_contact_type_display()) + 1 if c.last_contact_type else 0
        if key == "lists":
            return c.list_names.upper()
        if key == "due":  # no due date comes last
            return (c.due_date is None, c.due_date or date.min)
        return getattr(c, key)

    return [c.member_name for c in sorted(customers, key=lambda c: (value(c), c.member_name))]


@pytest.mark.parametrize("key", sorted(SORT_KEYS))
def test_every_column_sorts_ascending_and_descending_with_ties_broken_by_name(
    owner_client, sort_rows, key
):
    ascending = expected_order(sort_rows, key)

    assert names(get(owner_client, sort=key)) == ascending
    # Descending is the exact mirror, ties included.
    assert names(get(owner_client, sort=f"-{key}")) == ascending[::-1]


def test_the_customer_column_sorts_alphabetically_ignoring_case(owner_client, sort_rows):
    assert names(get(owner_client, sort="customer")) == [
        "7even",
        "alice",
        "Bob",
        "carol",
        "dave",
        "Erin",
    ]


def test_customers_never_contacted_come_last_newest_first_and_first_oldest_first(
    owner_client, sort_rows
):
    assert names(get(owner_client))[-2:] == ["Erin", "Bob"]
    assert names(get(owner_client, sort="last_contact"))[:2] == ["Bob", "Erin"]


def test_contact_types_sort_by_their_label(owner_client, sort_rows):
    # "" (no contact) < "Call Recorded Received" < "Chat" < "Missed Call"
    assert names(get(owner_client, sort="contact_type")) == [
        "Bob",
        "Erin",
        "alice",
        "dave",
        "carol",
        "7even",
    ]


def test_lists_sort_alphabetically_ignoring_case_with_no_list_first(owner_client, sort_rows):
    assert names(get(owner_client, sort="lists")) == [
        "7even",
        "Erin",
        "dave",  # "b, VIP"
        "Bob",  # "Regulars"
        "alice",  # "vip"
        "carol",  # "VIP"
    ]


@pytest.mark.parametrize("sort", ["nonsense", "-", "--customer", "select", "customer,earnings"])
def test_an_unknown_sort_falls_back_to_last_contact(owner_client, sort_rows, sort):
    response = get(owner_client, sort=sort)
    assert response.status_code == 200
    assert names(response) == names(get(owner_client))


def test_a_header_link_sorts_by_its_column_and_reverses_the_current_sort(owner_client, sort_rows):
    headers = {h.name: h for h in get(owner_client, sort="customer").context["headers"]}

    assert headers["customer"].url == "?sort=-customer"
    assert headers["customer"].aria_sort == "ascending"
    # Counts and money sort highest first on a first click; names and labels A to Z.
    assert headers["live_calls"].url == "?sort=-live_calls"
    assert headers["contact_type"].url == "?sort=contact_type"
    assert headers["live_calls"].aria_sort == ""


def test_sorting_keeps_the_filters_and_starts_again_at_page_one(owner_client, sort_rows):
    response = get(owner_client, q="e", letter="d", page=2, per_page=10)
    headers = {h.name: h for h in response.context["headers"]}
    assert headers["earnings"].url == "?q=e&letter=D&sort=-earnings&per_page=10"


# Pagination (M5)


@pytest.fixture
def many(owner):
    """45 customers, last contacts one day apart: c00 is the newest."""
    for n in range(45):
        customer(owner, f"c{n:02d}", last_contact=days_ago(n + 1))


def test_it_shows_20_rows_per_page_and_where_you_are(owner_client, many):
    response = get(owner_client, page=2)

    assert names(response) == [f"c{n:02d}" for n in range(20, 40)]
    assert "21–40 of 45" in response.content.decode()


def test_the_last_page_shows_the_remainder(owner_client, many):
    response = get(owner_client, page=3)
    assert names(response) == [f"c{n:02d}" for n in range(40, 45)]
    assert "41–45 of 45" in response.content.decode()


@pytest.mark.parametrize("page", ["4", "999999", "99999999999999999999"])
def test_a_page_past_the_end_shows_the_last_page(owner_client, many, page):
    response = get(owner_client, page=page)
    assert response.status_code == 200
    assert names(response) == [f"c{n:02d}" for n in range(40, 45)]


@pytest.mark.parametrize("page", ["0", "-1", "abc", "1.5", "", "1e3", "٣"])
def test_a_page_that_is_not_a_positive_number_shows_the_first_page(owner_client, many, page):
    response = get(owner_client, page=page)
    assert response.status_code == 200
    assert names(response)[0] == "c00"


@pytest.mark.parametrize("per_page", [10, 20, 30, 40, 50])
def test_it_shows_the_chosen_number_of_rows_per_page(owner_client, many, per_page):
    response = get(owner_client, per_page=per_page)
    assert len(names(response)) == min(per_page, 45)
    assert f'<option value="{per_page}" selected>' in response.content.decode()


@pytest.mark.parametrize("per_page", ["0", "7", "25", "100", "10000", "-10", "x"])
def test_any_other_rows_per_page_falls_back_to_20(owner_client, many, per_page):
    response = get(owner_client, per_page=per_page)
    assert response.status_code == 200
    assert len(names(response)) == 20


def test_the_pagination_links_go_to_first_previous_next_last_and_nearby_pages(owner_client, many):
    links = get(owner_client, page=2, per_page=10).context["page_links"]

    assert links["first"] == "?per_page=10"
    assert links["previous"] == "?per_page=10"
    assert links["next"] == "?per_page=10&page=3"
    assert links["last"] == "?per_page=10&page=5"
    assert [(n, current) for n, _url, current in links["numbers"]] == [
        (1, False),
        (2, True),
        (3, False),
        (4, False),
    ]


@pytest.mark.parametrize("sort", ["-last_contact", "customer", "live_calls", "-lists"])
@pytest.mark.parametrize("per_page", [10, 20])
def test_pages_never_repeat_or_skip_a_row(owner, owner_client, sort, per_page):
    for n in range(47):  # many ties: three values per column
        customer(owner, f"m{n:02d}", live_calls=n % 3, last_contact=days_ago(n % 3))
    seen = []
    for page in range(1, 47 // per_page + 2):
        seen += names(get(owner_client, sort=sort, per_page=per_page, page=page))

    key = sort.lstrip("-")
    expected = expected_order(Customer.objects.all(), key)
    assert seen == (expected[::-1] if sort.startswith("-") else expected)


# Queries (performance budget)


@pytest.mark.parametrize("per_page", [10, 50])
def test_a_page_runs_the_same_few_queries_whatever_its_size(
    owner, owner_client, django_assert_max_num_queries, per_page
):
    vip = CustomerList.objects.create(performer=owner, name="VIP")
    for n in range(60):
        add_event(owner, f"c{n:02d}", ContactType.CALL_MISSED, ago=timedelta(days=n))
    set_customer_lists(
        performer=owner, customers=Customer.objects.filter(member_name__lt="c30"), lists=[vip]
    )

    # session, user, the Display list choices, the saved views (tabs), the count with the
    # totals, the page, background actions, the summary strip
    with django_assert_max_num_queries(8):
        response = get(owner_client, per_page=per_page, list=vip.pk, sort="-earnings")
    assert len(names(response)) == min(per_page, 30)
