"""The main view's range and state filters (F1), the panel and chips (F2), what acts on the
filtered view (F3) and the Total row (F4)."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from contacts.types import ContactType
from lists.models import CustomerList
from lists.services import set_customer_lists
from mycustomers.models import COUNTER_FIELDS, Customer, FollowUpStatus
from tests.customers.main_view_helpers import LIST_URL, customer, get, names
from tests.factories import add_event

pytestmark = pytest.mark.django_db


def local_midnight(days_back: int):
    today = timezone.localdate()
    return timezone.make_aware(
        timezone.datetime.combine(today - timedelta(days=days_back), timezone.datetime.min.time())
    )


@pytest.fixture
def quiet(owner):
    """Customers whose last contact was 0, 59, 60, 61 and 90 days ago (at noon, local)."""
    people = {}
    for days in (0, 59, 60, 61, 90):
        people[days] = customer(
            owner, f"q{days:02d}", last_contact=local_midnight(days) + timedelta(hours=12)
        )
    return people


def shown(client, **params) -> set[str]:
    response = get(client, per_page=50, **params)
    assert response.status_code == 200, response.content[:500]
    return set(names(response))


# F1: each filter and its edges


def test_quiet_days_are_whole_days_since_the_last_contact_inclusive(owner_client, quiet):
    assert shown(owner_client, quiet_min=60) == {"q60", "q61", "q90"}
    assert shown(owner_client, quiet_max=60) == {"q00", "q59", "q60"}
    assert shown(owner_client, quiet_min=60, quiet_max=60) == {"q60"}
    assert shown(owner_client, quiet_min=0) == {"q00", "q59", "q60", "q61", "q90"}


def test_last_contact_dates_are_inclusive_days(owner_client, quiet):
    day = (timezone.localdate() - timedelta(days=60)).isoformat()
    assert shown(owner_client, contact_after=day, contact_before=day) == {"q60"}
    assert shown(owner_client, contact_before=day) == {"q60", "q61", "q90"}
    assert shown(owner_client, contact_after=day) == {"q00", "q59", "q60"}


def test_customer_since_filters_the_first_contact(owner, owner_client):
    customer(owner, "old", first_contact=local_midnight(400))
    customer(owner, "recent", first_contact=local_midnight(10) + timedelta(hours=23, minutes=59))
    day = (timezone.localdate() - timedelta(days=10)).isoformat()
    assert shown(owner_client, since_after=day) == {"recent"}
    assert shown(owner_client, since_before=day) == {"old", "recent"}
    assert shown(owner_client, since_before="2000-01-01") == set()


def test_earnings_bounds_are_inclusive_to_the_cent(owner, owner_client):
    customer(owner, "low", earnings=Decimal("99.99"))
    customer(owner, "even", earnings=Decimal("100.00"))
    customer(owner, "high", earnings=Decimal("250.50"))
    assert shown(owner_client, earnings_min="100") == {"even", "high"}
    assert shown(owner_client, earnings_max="100.00") == {"low", "even"}
    assert shown(owner_client, earnings_min="99.99", earnings_max="99.99") == {"low"}
    assert shown(owner_client, earnings_min="$1,000") == set()


@pytest.mark.parametrize("field", COUNTER_FIELDS)
def test_every_count_column_has_an_inclusive_range(owner, owner_client, field):
    for n in (0, 3, 5):
        customer(owner, f"n{n}", **{field: n})
    assert shown(owner_client, **{f"{field}_min": 3}) == {"n3", "n5"}
    assert shown(owner_client, **{f"{field}_max": 3}) == {"n0", "n3"}
    assert shown(owner_client, **{f"{field}_min": 3, f"{field}_max": 3}) == {"n3"}


def test_last_contact_type_is_any_of_the_types_given(owner, owner_client):
    add_event(owner, "caller", ContactType.CALL_RECEIVED)
    add_event(owner, "chatter", ContactType.CHAT)
    add_event(owner, "mailer", ContactType.MAIL_RECEIVED)
    assert shown(owner_client, type="chat") == {"chatter"}
    response = owner_client.get(LIST_URL, {"type": ["chat", "mail_received"]})
    assert set(names(response)) == {"chatter", "mailer"}


def test_follow_up_missed_call_and_new(owner, owner_client):
    customer(owner, "spoken", follow_up=FollowUpStatus.SPOKE)
    add_event(owner, "missed", ContactType.CALL_MISSED, ago=timedelta(days=40))
    add_event(owner, "fresh", ContactType.CALL_RECEIVED, ago=timedelta(days=2))
    assert shown(owner_client, follow_up="spoke") == {"spoken"}
    assert "spoken" not in shown(owner_client, follow_up="none")
    assert shown(owner_client, missed=1) == {"missed"}
    assert shown(owner_client, new=1) == {"fresh"}


def test_not_list_leaves_out_the_members_of_each_list_given(owner, owner_client):
    vip, gold = (CustomerList.objects.create(performer=owner, name=n) for n in ("VIP", "Gold"))
    for name in ("a", "b", "c"):
        customer(owner, name)
    set_customer_lists(
        performer=owner, customers=Customer.objects.filter(member_name="a"), lists=[vip]
    )
    set_customer_lists(
        performer=owner, customers=Customer.objects.filter(member_name="b"), lists=[gold]
    )
    assert shown(owner_client, not_list=vip.pk) == {"b", "c"}
    response = owner_client.get(LIST_URL, {"not_list": [vip.pk, gold.pk]})
    assert set(names(response)) == {"c"}


def test_filters_combine_with_search_letter_list_and_every_sort(owner, owner_client):
    vip = CustomerList.objects.create(performer=owner, name="VIP")
    customer(owner, "Anna", earnings=Decimal("150"), last_contact=local_midnight(70))
    customer(owner, "Abe", earnings=Decimal("150"), last_contact=local_midnight(10))
    customer(owner, "Bert", earnings=Decimal("150"), last_contact=local_midnight(70))
    customer(owner, "Alma", earnings=Decimal("50"), last_contact=local_midnight(70))
    set_customer_lists(performer=owner, customers=Customer.objects.all(), lists=[vip])
    params = {"earnings_min": 100, "quiet_min": 60, "letter": "A", "list": vip.pk, "q": "an"}
    for sort in ("customer", "-earnings", "last_contact", "-lists", "contact_type"):
        assert shown(owner_client, sort=sort, **params) == {"Anna"}


# F1: bad values give a field error, status 400 and no rows, never a 500


@pytest.mark.parametrize(
    "params",
    [
        {"quiet_min": "abc"},
        {"quiet_min": "²"},
        {"quiet_min": "٣"},
        {"quiet_min": "-1"},
        {"quiet_max": "1e2"},
        {"earnings_min": "1e2"},
        {"earnings_min": "NaN"},
        {"earnings_max": "12.345"},
        {"live_calls_min": "9" * 40},
        {"earnings_min": "9" * 40},
        {"contact_after": "2026-02-30"},
        {"contact_before": "31/12/2026"},
        {"since_after": "0001-01-01"},
        {"since_before": "9999-12-31"},
        {"type": "teleport"},
        {"follow_up": "maybe"},
        {"missed": "yes"},
        {"new": "2"},
        {"not_list": "999999"},
        {"not_list": "²"},
        {"quiet_min": "90", "quiet_max": "30"},
        {"earnings_min": "500", "earnings_max": "100"},
        {"contact_after": "2026-06-01", "contact_before": "2026-01-01"},
    ],
)
def test_a_bad_value_is_a_field_error_with_status_400_and_no_rows(owner, owner_client, params):
    customer(owner, "alice")
    response = owner_client.get(LIST_URL, params)
    assert response.status_code == 400
    assert names(response) == []
    content = response.content.decode()
    assert 'class="errorlist"' in content
    assert "Clear filters" in content


def test_an_empty_range_is_simply_empty(owner, owner_client, quiet):
    assert shown(owner_client, quiet_min=5000) == set()


def test_another_performers_list_cannot_be_excluded(owner, colleague, owner_client):
    theirs = CustomerList.objects.create(performer=colleague, name="Theirs")
    customer(owner, "alice")
    response = owner_client.get(LIST_URL, {"not_list": theirs.pk})
    assert response.status_code == 400


# F2: the panel, chips and Clear filters


def test_the_filters_panel_is_closed_until_a_filter_is_active(owner, owner_client, quiet):
    assert '<details class="filters">' in get(owner_client).content.decode()
    assert '<details class="filters" open>' in get(owner_client, quiet_min=60).content.decode()


def test_each_chip_removes_just_its_own_filter(owner_client, quiet):
    response = get(owner_client, quiet_min=60, earnings_min=0, sort="customer")
    chips = dict(response.context["chips"])
    assert set(chips) == {"Quiet days ≥ 60", "Lifetime earnings ≥ $0.00"}
    assert chips["Quiet days ≥ 60"] == "?earnings_min=0&sort=customer"
    assert chips["Lifetime earnings ≥ $0.00"] == "?quiet_min=60&sort=customer"


def test_links_of_the_page_keep_the_filters(owner, owner_client, quiet):
    response = get(owner_client, quiet_min=1, per_page=10)
    state = response.context["state"]
    assert "quiet_min=1" in state.url(sort="-earnings")
    assert "quiet_min=1" in response.context["export_url"]


# F3: count, export and "all in this view" follow the filters


def test_the_count_and_the_export_follow_the_filters(owner_client, quiet):
    response = get(owner_client, quiet_min=60)
    assert response.context["table"].paginator.count == 3
    export = owner_client.get(reverse("customers:export"), {"quiet_min": 60})
    rows = b"".join(export.streaming_content).decode("utf-8-sig").splitlines()
    assert sorted(row.split(",")[0] for row in rows[1:]) == ["q60", "q61", "q90"]


def test_block_all_in_a_filtered_view_blocks_only_its_rows(owner, owner_client, quiet):
    response = owner_client.post(reverse("customers:block"), {"scope": "all", "quiet_min": 60})
    assert response.status_code == 302
    blocked = set(Customer.objects.blocked().values_list("member_name", flat=True))
    assert blocked == {"q60", "q61", "q90"}


def test_the_confirmation_page_carries_the_filters_to_its_post(owner_client, quiet):
    page = owner_client.get(reverse("customers:block"), {"scope": "all", "quiet_min": 60})
    content = page.content.decode()
    assert '<input type="hidden" name="quiet_min" value="60">' in content
    assert page.context["count"] == 3


def test_a_selection_over_a_bad_filter_is_refused(owner_client, quiet):
    response = owner_client.post(reverse("customers:block"), {"scope": "all", "quiet_min": "x"})
    assert response.status_code == 400
    assert not Customer.objects.blocked().exists()


# F4: the Total row


def test_the_total_row_sums_every_row_of_the_view_not_just_the_page(owner, owner_client):
    for n in range(25):
        customer(owner, f"c{n:02d}", earnings=Decimal(n) + Decimal("0.25"), live_calls=n, feeds=1)
    response = get(owner_client, per_page=10, live_calls_min=5)
    view = Customer.objects.filter(live_calls__gte=5)
    expected_earnings = sum(c.earnings for c in view)
    cells = dict((css, text) for css, text in response.context["totals"])
    content = response.content.decode()
    assert '<th scope="row" class="select">Total</th>' in content
    assert f"${expected_earnings:,.2f}" in content
    assert f"{sum(c.live_calls for c in view):,}" == response.context["totals"][1][1]
    assert f"average ${expected_earnings / view.count():,.2f}" in content
    assert "20 customers" in content
    assert cells  # one cell per column


def test_no_total_row_without_rows(owner_client):
    assert get(owner_client).context["totals"] is None


def test_a_filtered_page_runs_a_constant_number_of_queries(
    owner, owner_client, quiet, django_assert_max_num_queries
):
    # session, user, list choices, saved views, totals (with the count), the page, background,
    # the summary strip
    with django_assert_max_num_queries(8):
        get(owner_client, quiet_min=1, earnings_min=0, type="call_received", not_list=[])
