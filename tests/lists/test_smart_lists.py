"""Smart lists (F5): saved filters whose members are computed at use."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse

from contacts.types import ContactType
from lists.models import SMART_LIST_PRESETS, SmartList
from lists.services import create_list, create_smart_list
from mycustomers.models import Customer
from tests.customers.main_view_helpers import LIST_URL, customer, days_ago, names
from tests.factories import add_event

pytestmark = pytest.mark.django_db


@pytest.fixture
def spenders(owner):
    customer(owner, "big_quiet", earnings=Decimal("150"), last_contact=days_ago(90))
    customer(owner, "big_recent", earnings=Decimal("150"), last_contact=days_ago(3))
    customer(owner, "small_quiet", earnings=Decimal("20"), last_contact=days_ago(90))


def save(client, name, **filters):
    return client.post(reverse("lists:smart_create"), {"name": name, "next": LIST_URL, **filters})


def shown(client, **params) -> set[str]:
    response = client.get(LIST_URL, {"per_page": 50, **params})
    assert response.status_code == 200
    return set(names(response))


def test_it_saves_the_main_views_filters_and_opens_the_view_filtered(owner, owner_client, spenders):
    response = save(owner_client, "Lapsed", earnings_min="100", quiet_min="60", per_page="50")
    smart = SmartList.objects.get(performer=owner)
    assert smart.rules == "earnings_min=100&quiet_min=60"
    assert response.url == f"{LIST_URL}?list=s{smart.pk}"
    assert shown(owner_client, list=smart.key) == {"big_quiet"}


def test_its_members_are_whoever_matches_now(owner, owner_client, spenders):
    smart = create_smart_list(performer=owner, name="Lapsed", rules="earnings_min=100&quiet_min=60")
    assert shown(owner_client, list=smart.key) == {"big_quiet"}
    add_event(owner, "big_quiet", ContactType.CALL_RECEIVED, ago=timedelta(hours=1))
    Customer.objects.filter(member_name="small_quiet").update(earnings=Decimal("500"))
    assert shown(owner_client, list=smart.key) == {"small_quiet"}


def test_it_combines_with_more_filters(owner, owner_client, spenders):
    smart = create_smart_list(performer=owner, name="Big", rules="earnings_min=100")
    assert shown(owner_client, list=smart.key, quiet_min=60) == {"big_quiet"}
    assert shown(owner_client, list=smart.key, q="recent") == {"big_recent"}


def test_it_is_in_the_display_list_pull_down(owner, owner_client, spenders):
    smart = create_smart_list(performer=owner, name="Big", rules="earnings_min=100")
    content = owner_client.get(LIST_URL).content.decode()
    assert f'<option value="{smart.key}">Big</option>' in content
    assert '<optgroup label="Smart lists">' in content


def test_names_are_shared_with_custom_lists(owner, owner_client, spenders):
    create_list(performer=owner, name="VIP")
    response = save(owner_client, "vip", earnings_min="100")
    assert not SmartList.objects.exists()
    assert (
        "already have a list called" in response.wsgi_request._messages._queued_messages[0].message
    )
    create_smart_list(performer=owner, name="Gold", rules="earnings_min=100")
    response = owner_client.post(reverse("lists:create"), {"name": "GOLD"})
    assert response.status_code == 400


def test_it_needs_a_filter_and_valid_ones(owner, owner_client, spenders):
    save(owner_client, "Nothing")
    save(owner_client, "Bad", earnings_min="lots")
    assert not SmartList.objects.exists()


def test_a_smart_list_cannot_be_built_on_another(owner, owner_client, spenders):
    smart = create_smart_list(performer=owner, name="Big", rules="earnings_min=100")
    save(owner_client, "Bigger", list=smart.key, quiet_min="60")
    assert SmartList.objects.count() == 1


def test_the_ready_made_ones_are_added_in_one_click_and_offered_once(owner, owner_client):
    page = owner_client.get(reverse("lists:index"))
    assert set(page.context["presets"]) == set(SMART_LIST_PRESETS)
    owner_client.post(reverse("lists:smart_preset"), {"name": "Lapsed big spenders"})
    smart = SmartList.objects.get(performer=owner)
    assert smart.rules == "earnings_min=100&quiet_min=60"
    assert owner_client.get(reverse("lists:index")).context["presets"] == [
        "New this month, not yet mailed", "Overdue regulars", "Can't lose"
    ]  # fmt: skip
    owner_client.post(reverse("lists:smart_preset"), {"name": "New this month, not yet mailed"})
    assert SmartList.objects.get(name__startswith="New").rules == "new=1"


def test_the_rhythm_presets_are_valid_rules_in_words(owner, owner_client):
    for name in ("Overdue regulars", "Can't lose"):
        owner_client.post(reverse("lists:smart_preset"), {"name": name})
    summaries = {
        s.name: s.summary for s in owner_client.get(reverse("lists:index")).context["smart_lists"]
    }
    assert summaries == {
        "Can't lose": "Segment: Can't lose",
        "Overdue regulars": "Overdue (quiet much longer than usual)",
    }


def test_the_lists_page_shows_live_counts_and_the_rules_in_words(owner, owner_client, spenders):
    create_smart_list(performer=owner, name="Lapsed", rules="earnings_min=100&quiet_min=60")
    response = owner_client.get(reverse("lists:index"))
    (smart,) = response.context["smart_lists"]
    assert smart.member_count == 1
    assert smart.summary == "Lifetime earnings ≥ $100.00 · Quiet days ≥ 60"
    customer(owner, "another", earnings=Decimal("300"), last_contact=days_ago(70))
    (smart,) = owner_client.get(reverse("lists:index")).context["smart_lists"]
    assert smart.member_count == 2


def test_it_can_be_renamed_re_ruled_and_deleted(owner, owner_client, spenders):
    smart = create_smart_list(performer=owner, name="Big", rules="earnings_min=100")
    owner_client.post(reverse("lists:smart_rename", args=[smart.pk]), {"name": "Whales"})
    smart.refresh_from_db()
    assert smart.name == "Whales"
    owner_client.post(
        reverse("lists:smart_rules", args=[smart.pk]), {"earnings_max": "50", "next": LIST_URL}
    )
    smart.refresh_from_db()
    assert smart.rules == "earnings_max=50"
    assert shown(owner_client, list=smart.key) == {"small_quiet"}
    owner_client.post(reverse("lists:smart_delete", args=[smart.pk]))
    assert not SmartList.objects.exists()
    assert Customer.objects.count() == 3


def test_editing_rules_keeps_the_smart_list_in_every_link(owner, owner_client, spenders):
    smart = create_smart_list(performer=owner, name="Big", rules="earnings_min=100")
    response = owner_client.get(LIST_URL, {"earnings_min": "100", "smart": smart.pk})
    assert response.context["editing"] == smart
    assert f"smart={smart.pk}" in response.context["state"].url(sort="customer")
    assert reverse("lists:smart_rules", args=[smart.pk]) in response.content.decode()


def test_a_mass_action_on_a_smart_list_acts_on_its_current_members(owner, owner_client, spenders):
    smart = create_smart_list(performer=owner, name="Lapsed", rules="earnings_min=100&quiet_min=60")
    owner_client.post(reverse("customers:block"), {"scope": "all", "list": smart.key})
    assert list(Customer.objects.blocked().values_list("member_name", flat=True)) == ["big_quiet"]


def test_another_performers_smart_list_is_out_of_reach(owner, colleague, owner_client, spenders):
    theirs = create_smart_list(performer=colleague, name="Theirs", rules="earnings_min=0")
    assert owner_client.get(LIST_URL, {"list": theirs.key}).status_code == 400
    for name in ("smart_rename", "smart_delete"):
        assert owner_client.get(reverse(f"lists:{name}", args=[theirs.pk])).status_code == 404
    response = owner_client.post(reverse("lists:smart_rules", args=[theirs.pk]), {"new": "1"})
    assert response.status_code == 404
    theirs.refresh_from_db()
    assert theirs.rules == "earnings_min=0"
    assert owner_client.get(LIST_URL, {"smart": theirs.pk}).context["editing"] is None


def test_opening_a_smart_list_runs_a_constant_number_of_queries(
    owner, owner_client, spenders, django_assert_max_num_queries
):
    smart = create_smart_list(performer=owner, name="Big", rules="earnings_min=100")
    # session, user, list choices, saved views, the rules, totals, the page, background, the
    # summary strip
    with django_assert_max_num_queries(9):
        owner_client.get(LIST_URL, {"list": smart.key})
